#pragma once

// Writing Prometheus' text exposition format (0.0.4): a series' HELP and TYPE lines, and
// samples with one label.

#include "observer/json.hpp"

#include <fmt/format.h>

#include <iterator>
#include <string>
#include <string_view>

namespace otp::observer::detail {

using out_it = std::back_insert_iterator<std::string>;

inline void header(std::string& out, std::string_view name, std::string_view type,
                   std::string_view help) {
  fmt::format_to(out_it{out}, "# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

template <class T>
void labelled(std::string& out, std::string_view name, std::string_view label,
              std::string_view value, const T& sample) {
  fmt::format_to(out_it{out}, "{}{{{}=", name, label);
  append_label_value(out, value);
  fmt::format_to(out_it{out}, "}} {}\n", sample);
}

}  // namespace otp::observer::detail
