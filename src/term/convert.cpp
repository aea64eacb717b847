#include "otp/term/convert.hpp"

#include "otp/term/print.hpp"

#include "term/utf8.hpp"

namespace otp {

std::optional<std::string> string_from_list(const term& t) {
  if (!t.is_list() || !t.list_tail().is_nil())
    return std::nullopt;
  std::string out;
  out.reserve(t.list_elements().size());
  for (const auto& e : t.list_elements()) {
    auto* c = e.get_if<std::int64_t>();
    if (c == nullptr || !detail::is_code_point(*c))
      return std::nullopt;
    detail::append_utf8(out, static_cast<std::uint32_t>(*c));
  }
  return out;
}

std::string_view to_string(convert_error::kind k) noexcept {
  switch (k) {
    case convert_error::kind::wrong_type:
      return "wrong_type";
    case convert_error::kind::out_of_range:
      return "out_of_range";
    case convert_error::kind::wrong_tag:
      return "wrong_tag";
    case convert_error::kind::wrong_arity:
      return "wrong_arity";
  }
  return "wrong_type";
}

namespace {

/// A term as Erlang prints it, cut after `limit` characters: a peer's term may be large.
std::string short_term(const term& t, std::size_t limit = 200) {
  auto text = to_string(t);
  if (text.size() > limit) {
    text.resize(limit);
    text += "...";
  }
  return text;
}

}  // namespace

std::string to_string(const convert_error& e) {
  std::string out{to_string(e.what)};
  if (!e.path.empty())
    out += " at " + e.path;
  out += ": expected " + e.expected + ", got " + short_term(e.got);
  return out;
}

namespace detail {

std::string key_step(const term& key, std::string_view suffix) {
  std::string out = "#{" + short_term(key, 60) + "}";
  out += suffix;
  return out;
}

}  // namespace detail

}  // namespace otp
