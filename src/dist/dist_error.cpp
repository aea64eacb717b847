#include "otp/dist/dist_error.hpp"

#include <fmt/format.h>

namespace otp::dist {

std::string_view to_string(dist_error::kind k) noexcept {
  using enum dist_error::kind;
  switch (k) {
    case bad_option:
      return "bad_option";
    case bad_name:
      return "bad_name";
    case name_in_use:
      return "name_in_use";
    case address_in_use:
      return "address_in_use";
    case not_allowed:
      return "not_allowed";
    case version_mismatch:
      return "version_mismatch";
    case tick_mismatch:
      return "tick_mismatch";
    case duplicate_name:
      return "duplicate_name";
    case wrong_node:
      return "wrong_node";
    case malformed:
      return "malformed";
    case oversized:
      return "oversized";
    case timeout:
      return "timeout";
    case refused:
      return "refused";
    case unreachable:
      return "unreachable";
    case not_started:
      return "not_started";
    case system:
      return "system";
  }
  return "unknown";
}

std::string to_string(const dist_error& e) {
  if (e.detail.empty())
    return std::string{to_string(e.what)};
  return fmt::format("{{{},\"{}\"}}", to_string(e.what), e.detail);
}

}  // namespace otp::dist
