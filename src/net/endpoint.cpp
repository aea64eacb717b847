#include "otp/net/endpoint.hpp"

#include <fmt/format.h>

#include <charconv>

namespace otp::net {

namespace {

expected<std::uint16_t, net_error> parse_port(std::string_view text) {
  unsigned value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value > 65535 || text.empty())
    return unexpected{net_error{net_error::kind::bad_address, fmt::format("port '{}'", text)}};
  return static_cast<std::uint16_t>(value);
}

}  // namespace

expected<endpoint, net_error> endpoint::parse(std::string_view text) {
  constexpr std::string_view unix_prefix = "unix:";
  if (text.substr(0, unix_prefix.size()) == unix_prefix) {
    auto path = text.substr(unix_prefix.size());
    if (path.empty())
      return unexpected{net_error{net_error::kind::bad_address, "empty socket path"}};
    return endpoint::local(std::string{path});
  }
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos)
    return unexpected{
      net_error{net_error::kind::bad_address, fmt::format("'{}' has no port", text)}};
  auto host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  auto port = parse_port(text.substr(colon + 1));
  if (!port)
    return unexpected{port.error()};
  return endpoint::tcp(std::string{host.empty() ? "0.0.0.0" : host}, *port);
}

std::string to_string(const endpoint& e) {
  if (e.is_local())
    return fmt::format("unix:{}", e.path());
  if (e.address().find(':') != std::string::npos)
    return fmt::format("[{}]:{}", e.address(), e.port());
  return fmt::format("{}:{}", e.address(), e.port());
}

}  // namespace otp::net
