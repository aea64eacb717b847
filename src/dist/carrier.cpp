#include "otp/dist/carrier.hpp"

#include <fmt/format.h>

#include <charconv>

namespace otp::dist {

namespace {

expected<carrier, dist_error> parse_one(std::string_view text) {
  if (text == "uds")
    return carrier::uds();
  if (text == "tcp")
    return carrier::tcp();
  if (text.starts_with("tcp:")) {
    auto rest = text.substr(4);
    auto colon = rest.rfind(':');
    if (colon == std::string_view::npos || colon == 0)
      return unexpected{dist_error{dist_error::kind::bad_option, fmt::format("carrier: {}", text)}};
    unsigned port = 0;
    auto digits = rest.substr(colon + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
    if (ec != std::errc{} || end != digits.data() + digits.size() || port > 65535)
      return unexpected{
        dist_error{dist_error::kind::bad_option, fmt::format("carrier port: {}", text)}};
    return carrier::tcp(std::string{rest.substr(0, colon)}, static_cast<std::uint16_t>(port));
  }
  return unexpected{dist_error{dist_error::kind::bad_option, fmt::format("carrier: {}", text)}};
}

}  // namespace

expected<std::vector<carrier>, dist_error> carrier::parse(std::string_view text) {
  std::vector<carrier> result;
  while (!text.empty()) {
    auto comma = text.find(',');
    auto one = parse_one(text.substr(0, comma));
    if (!one)
      return unexpected{one.error()};
    result.push_back(*one);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  if (result.empty())
    return unexpected{dist_error{dist_error::kind::bad_option, "carrier: empty list"}};
  return result;
}

std::string to_string(const carrier& c) {
  if (c.what == carrier::kind::uds)
    return "uds";
  return fmt::format("tcp:{}:{}", c.address, c.port);
}

}  // namespace otp::dist
