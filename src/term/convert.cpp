#include "otp/term/convert.hpp"

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

}  // namespace otp
