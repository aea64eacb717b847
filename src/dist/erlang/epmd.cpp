#include "dist/erlang/epmd.hpp"

#include "dist/wire.hpp"

#include <fmt/format.h>

#include <charconv>
#include <cstdlib>

namespace otp::dist::erlang::epmd {

namespace {

using enum dist_error::kind;
constexpr std::uint8_t alive2_req = 120;
constexpr std::uint8_t alive2_resp = 121;
constexpr std::uint8_t alive2_x_resp = 118;
constexpr std::uint8_t port_please2_req = 122;
constexpr std::uint8_t port2_resp = 119;
constexpr std::uint16_t dist_version = 6;

std::vector<std::uint8_t> framed(const std::vector<std::uint8_t>& body) {
  std::vector<std::uint8_t> out;
  wire::put(out, body.size(), 2);
  wire::put(out, std::span{body});
  return out;
}

}  // namespace

std::uint16_t port_from_environment() {
  const char* text = std::getenv("ERL_EPMD_PORT");
  if (text == nullptr)
    return default_port;
  std::string_view s{text};
  unsigned value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size() || value == 0 || value > 65535)
    return default_port;
  return static_cast<std::uint16_t>(value);
}

std::vector<std::uint8_t> alive2_request(std::string_view name, std::uint16_t port,
                                         std::uint8_t node_type) {
  std::vector<std::uint8_t> body{alive2_req};
  wire::put(body, port, 2);
  body.push_back(node_type);
  body.push_back(0);  // protocol: TCP/IPv4
  wire::put(body, dist_version, 2);
  wire::put(body, dist_version, 2);
  wire::put(body, name.size(), 2);
  wire::put(body, name);
  wire::put(body, 0, 2);  // no extra
  return framed(body);
}

expected<std::optional<std::uint32_t>, dist_error> alive2_response(
  std::span<const std::uint8_t> bytes) {
  if (bytes.empty())
    return std::optional<std::uint32_t>{};
  auto tag = bytes[0];
  if (tag != alive2_x_resp && tag != alive2_resp)
    return unexpected{dist_error{malformed, fmt::format("epmd answered tag {}", tag)}};
  std::size_t width = tag == alive2_x_resp ? 4 : 2;
  if (bytes.size() >= 2 && bytes[1] != 0)
    return unexpected{
      dist_error{name_in_use, fmt::format("epmd refused the registration (result {})", bytes[1])}};
  if (bytes.size() < 2 + width)
    return std::optional<std::uint32_t>{};
  wire::reader in{bytes.subspan(2)};
  auto creation = static_cast<std::uint32_t>(in.number(width));
  if (!in.exact())
    return unexpected{dist_error{malformed, "epmd's ALIVE2 answer is too long"}};
  return std::optional<std::uint32_t>{creation};
}

std::vector<std::uint8_t> port_please2_request(std::string_view name) {
  std::vector<std::uint8_t> body{port_please2_req};
  wire::put(body, name);
  return framed(body);
}

expected<node_entry, dist_error> port2_response(std::span<const std::uint8_t> bytes) {
  wire::reader in{bytes};
  auto tag = in.number(1);
  auto result = in.number(1);
  if (!in.ok || tag != port2_resp)
    return unexpected{dist_error{malformed, "not a PORT2_RESP"}};
  if (result != 0)
    return unexpected{dist_error{unreachable, "not registered with epmd"}};
  node_entry e;
  e.port = static_cast<std::uint16_t>(in.number(2));
  e.node_type = static_cast<std::uint8_t>(in.number(1));
  in.number(1);  // protocol
  e.highest_version = static_cast<std::uint16_t>(in.number(2));
  e.lowest_version = static_cast<std::uint16_t>(in.number(2));
  e.name = std::string{in.text(in.number(2))};
  in.take(in.number(2));  // extra
  if (!in.exact())
    return unexpected{dist_error{malformed, "bad PORT2_RESP"}};
  if (e.lowest_version > dist_version || e.highest_version < dist_version)
    return unexpected{
      dist_error{version_mismatch, fmt::format("{} speaks versions {}..{}, we speak 6", e.name,
                                               e.lowest_version, e.highest_version)}};
  return e;
}

}  // namespace otp::dist::erlang::epmd
