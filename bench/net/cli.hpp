#pragma once

// The command lines of the socket benchmark programs (echo_load, asio_echo_server): numbers and
// ports are read whole and range-checked here; each program reports a bad one its own way.

#include <charconv>
#include <optional>
#include <string_view>
#include <system_error>

namespace bench_cli {

/// `text` as a `T` within [min, max]; nothing for trailing characters, a number out of range
/// or no number at all.
template <class T>
std::optional<T> parse_number(std::string_view text, T min, T max) {
  T value{};
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  // Written as a negation so that a NaN is out of range too.
  if (ec != std::errc{} || end != text.data() + text.size() || !(value >= min && value <= max))
    return std::nullopt;
  return value;
}

/// A `--port`: 1 to 65535, or 0 (any free port) where a server may take one.
enum class port_zero { refused, any_free };

inline std::optional<unsigned short> parse_port(std::string_view text, port_zero zero) {
  auto port = parse_number<int>(text, zero == port_zero::any_free ? 0 : 1, 65535);
  if (!port)
    return std::nullopt;
  return static_cast<unsigned short>(*port);
}

}  // namespace bench_cli
