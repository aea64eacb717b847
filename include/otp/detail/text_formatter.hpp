#pragma once

#include <fmt/core.h>

#include <algorithm>
#include <string_view>

namespace otp::detail {

/// The base of a fmt::formatter for a type that prints as one piece of text, with no format
/// spec. It needs only fmt/core.h: deriving from formatter<string_view> would leave its format()
/// undefined at link time unless the user includes fmt/format.h.
struct text_formatter {
  constexpr auto parse(fmt::format_parse_context& ctx) {
    auto it = ctx.begin();
    if (it != ctx.end() && *it != '}')
      ctx.on_error("otp: this type takes no format spec");
    return it;
  }

  template <class Out>
  static Out write(std::string_view text, Out out) {
    return std::copy(text.begin(), text.end(), out);
  }
};

}  // namespace otp::detail
