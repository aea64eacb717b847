#pragma once

#include <fmt/core.h>

#include <string>
#include <string_view>

namespace otp::net {

/// Why a socket operation, a listener or a connection failed. Every failure of the network
/// layer is one of these, logged with its kind and detail, never a crash of the node.
struct net_error {
  enum class kind {
    closed,           // the peer closed the connection, or the socket was closed
    timeout,          // recv or the idle timeout expired
    frame_too_large,  // a frame (or a line) longer than `framing::max_size`
    send_queue_full,  // more unsent bytes queued than `listener_options::send_queue_limit`
    buffer_limit,     // the listener's connections hold over `max_buffered`, this one most
    not_connected,    // the socket handle is empty or was moved from
    address_in_use,   // bind: the address or the socket path is taken by a live listener
    bad_address,      // the endpoint cannot be resolved or parsed
    bad_option,       // an option with an invalid value (named in `detail`)
    system,           // any other system error; `detail` carries the message
  };

  enum kind what = kind::system;
  std::string detail = {};

  friend bool operator==(const net_error& a, const net_error& b) { return a.what == b.what; }
};

std::string_view to_string(net_error::kind k) noexcept;
std::string to_string(const net_error& e);

}  // namespace otp::net

template <>
struct fmt::formatter<otp::net::net_error> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const otp::net::net_error& e, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(otp::net::to_string(e), ctx);
  }
};
