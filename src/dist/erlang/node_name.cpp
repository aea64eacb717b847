#include "dist/erlang/node_name.hpp"

#include "dist/handshake.hpp"

#include <charconv>

#include <unistd.h>

namespace otp::dist::erlang {

std::string short_host_name() {
  char buffer[256] = {};
  if (::gethostname(buffer, sizeof buffer - 1) != 0 || buffer[0] == '\0')
    return "localhost";
  std::string host{buffer};
  return host.substr(0, host.find('.'));
}

expected<node_address, dist_error> parse_node_address(std::string_view text) {
  auto bad = [&] { return unexpected{dist_error{dist_error::kind::bad_name, std::string{text}}}; };
  node_address out;
  auto at = text.find('@');
  out.alive = std::string{text.substr(0, at)};
  out.host = at == std::string_view::npos ? short_host_name() : std::string{text.substr(at + 1)};
  if (auto colon = out.host.rfind(':'); colon != std::string::npos) {
    unsigned port = 0;
    auto digits = std::string_view{out.host}.substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc{} || end != digits.data() + digits.size() || port == 0 || port > 65535)
      return bad();
    out.port = static_cast<std::uint16_t>(port);
    out.host.resize(colon);
  }
  out.name = out.alive + "@" + out.host;
  if (!otp::dist::detail::valid_node_name(out.name) || out.alive.empty() || out.host.empty())
    return bad();
  return out;
}

}  // namespace otp::dist::erlang
