#pragma once

#include "otp/detail/text_formatter.hpp"
#include "otp/term/term.hpp"

#include <fmt/core.h>

#include <algorithm>
#include <string>
#include <string_view>

namespace otp {

/// How a term prints, as Erlang's `io_lib:format` control sequences do:
/// - `print`, `~p` on one line: a list of printable characters as a string (`"abc"`), a binary
///   of printable ASCII as `<<"abc">>`;
/// - `write`, `~w`: every list and binary by its elements (`[97,98,99]`, `<<97,98,99>>`).
/// Both quote atoms where Erlang must (`'hello world'`, `'and'`) and print floats as Erlang
/// does (shortest round trip: `0.1`, `1.0e3`, `123456.0`).
enum class term_style { print, write };

std::string to_string(const term& t, term_style style = term_style::print);
void append_term(std::string& out, const term& t, term_style style = term_style::print);
/// An atom as Erlang writes it, quoted where needed.
std::string to_string(const atom& a);

}  // namespace otp

/// `{}` prints as `~p` (on one line), `{:w}` as `~w`.
template <>
struct fmt::formatter<otp::term> {
  otp::term_style style = otp::term_style::print;

  constexpr auto parse(fmt::format_parse_context& ctx) {
    auto it = ctx.begin();
    if (it != ctx.end() && (*it == 'w' || *it == 'p'))
      style = *it++ == 'w' ? otp::term_style::write : otp::term_style::print;
    if (it != ctx.end() && *it != '}')
      ctx.on_error("otp::term: the format spec is {}, {:p} or {:w}");
    return it;
  }
  template <class FormatContext>
  auto format(const otp::term& t, FormatContext& ctx) const {
    return otp::detail::text_formatter::write(otp::to_string(t, style), ctx.out());
  }
};

template <>
struct fmt::formatter<otp::atom> : otp::detail::text_formatter {
  template <class FormatContext>
  auto format(const otp::atom& a, FormatContext& ctx) const {
    return write(otp::to_string(a), ctx.out());
  }
};

namespace otp::detail {
/// Identifiers and bignums print as the term they make.
template <class T>
struct term_value_formatter : text_formatter {
  template <class FormatContext>
  auto format(const T& x, FormatContext& ctx) const {
    return write(otp::to_string(otp::term{x}), ctx.out());
  }
};
}  // namespace otp::detail

template <>
struct fmt::formatter<otp::erlang_pid> : otp::detail::term_value_formatter<otp::erlang_pid> {};
template <>
struct fmt::formatter<otp::erlang_ref> : otp::detail::term_value_formatter<otp::erlang_ref> {};
template <>
struct fmt::formatter<otp::erlang_port> : otp::detail::term_value_formatter<otp::erlang_port> {};
template <>
struct fmt::formatter<otp::big_integer> : otp::detail::term_value_formatter<otp::big_integer> {};
