#pragma once

#include "runtime/json_string.hpp"

#include <string>
#include <string_view>

namespace otp::observer::detail {

/// Appends `text` as a JSON string, quoted and escaped (supervision_tree's escaper).
inline void append_json_string(std::string& out, std::string_view text) {
  otp::detail::json_string(out, text);
}

/// Appends `text` as a Prometheus label value (backslash, quote and newline escaped).
void append_label_value(std::string& out, std::string_view text);

}  // namespace otp::observer::detail
