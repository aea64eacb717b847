#include "otp/net/net_error.hpp"

#include <fmt/format.h>

namespace otp::net {

std::string_view to_string(net_error::kind k) noexcept {
  switch (k) {
    case net_error::kind::closed:
      return "closed";
    case net_error::kind::timeout:
      return "timeout";
    case net_error::kind::frame_too_large:
      return "frame_too_large";
    case net_error::kind::send_queue_full:
      return "send_queue_full";
    case net_error::kind::buffer_limit:
      return "buffer_limit";
    case net_error::kind::not_connected:
      return "not_connected";
    case net_error::kind::address_in_use:
      return "address_in_use";
    case net_error::kind::bad_address:
      return "bad_address";
    case net_error::kind::bad_option:
      return "bad_option";
    case net_error::kind::system:
      return "system";
  }
  return "unknown";
}

std::string to_string(const net_error& e) {
  if (e.detail.empty())
    return std::string{to_string(e.what)};
  return fmt::format("{{{},\"{}\"}}", to_string(e.what), e.detail);
}

}  // namespace otp::net
