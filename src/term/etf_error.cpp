#include "otp/term/etf_error.hpp"

#include <fmt/format.h>

namespace otp::etf {

std::string_view to_string(decode_error::kind k) noexcept {
  using kind = decode_error::kind;
  switch (k) {
    case kind::truncated:
      return "truncated";
    case kind::bad_version:
      return "bad_version";
    case kind::unknown_tag:
      return "unknown_tag";
    case kind::unsupported:
      return "unsupported";
    case kind::bad_length:
      return "bad_length";
    case kind::too_deep:
      return "too_deep";
    case kind::invalid:
      return "invalid";
    case kind::bad_compressed:
      return "bad_compressed";
    case kind::too_large:
      return "too_large";
    case kind::trailing_bytes:
      return "trailing_bytes";
  }
  return "?";
}

decode_error::decode_error(kind k, std::size_t offset)
  : std::runtime_error(fmt::format("external term format: {} at byte {}", to_string(k), offset)),
    kind_(k),
    offset_(offset) {}

}  // namespace otp::etf
