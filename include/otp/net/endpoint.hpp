#pragma once

#include "otp/expected.hpp"
#include "otp/net/net_error.hpp"

#include <fmt/core.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace otp::net {

/// Where a listener listens or a client connects: a TCP address and port (IPv4 or IPv6), or
/// a Unix domain stream socket's path (the `local` transport).
class endpoint {
 public:
  enum class transport { tcp, local };

  /// `tcp("127.0.0.1", 7000)`, `tcp("::", 0)`; port 0 asks for an ephemeral port.
  static endpoint tcp(std::string address, std::uint16_t port) {
    return endpoint{transport::tcp, std::move(address), port};
  }
  /// A Unix domain stream socket at `path` (at most 107 bytes on Linux).
  static endpoint local(std::string path) { return endpoint{transport::local, std::move(path), 0}; }
  /// Parses `"host:port"`, `"[v6]:port"` or `"unix:/path"`.
  static expected<endpoint, net_error> parse(std::string_view text);

  endpoint() = default;

  enum transport transport() const noexcept { return transport_; }
  bool is_local() const noexcept { return transport_ == transport::local; }
  /// The IP address, or the socket path for `local`.
  const std::string& address() const noexcept { return address_; }
  const std::string& path() const noexcept { return address_; }
  std::uint16_t port() const noexcept { return port_; }

  friend bool operator==(const endpoint&, const endpoint&) = default;

 private:
  endpoint(enum transport t, std::string address, std::uint16_t port)
    : transport_(t), address_(std::move(address)), port_(port) {}

  enum transport transport_ = transport::tcp;
  std::string address_ = "0.0.0.0";
  std::uint16_t port_ = 0;
};

std::string to_string(const endpoint& e);

}  // namespace otp::net

template <>
struct fmt::formatter<otp::net::endpoint> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const otp::net::endpoint& e, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(otp::net::to_string(e), ctx);
  }
};
