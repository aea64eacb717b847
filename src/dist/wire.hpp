#pragma once

// Big-endian fields as the distribution handshakes and epmd put them on the wire.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace otp::dist::wire {

inline void put(std::vector<std::uint8_t>& out, std::uint64_t value, int width) {
  for (int i = width - 1; i >= 0; --i)
    out.push_back(static_cast<std::uint8_t>(value >> (8 * i)));
}

/// Appends bytes. A loop of push_back, not vector::insert: GCC 12 at -O3 reports a bogus
/// -Wstringop-overflow for an insert into a small vector it has just grown.
inline void put(std::vector<std::uint8_t>& out, std::span<const std::uint8_t> bytes) {
  out.reserve(out.size() + bytes.size());
  for (auto b : bytes)
    out.push_back(b);
}

inline void put(std::vector<std::uint8_t>& out, std::string_view s) {
  put(out, std::span{reinterpret_cast<const std::uint8_t*>(s.data()), s.size()});
}

/// Reads fields off the front of a buffer. A read past the end yields zeros and clears `ok`
/// for good, so a parser checks once, after all its reads.
struct reader {
  std::span<const std::uint8_t> in;
  bool ok = true;

  std::span<const std::uint8_t> take(std::size_t n) noexcept {
    if (!ok || in.size() < n) {
      ok = false;
      in = {};
      return {};
    }
    auto head = in.first(n);
    in = in.subspan(n);
    return head;
  }

  std::uint64_t number(std::size_t width) noexcept {
    std::uint64_t value = 0;
    for (auto b : take(width))
      value = (value << 8) | b;
    return value;
  }

  std::string_view text(std::size_t n) noexcept {
    auto s = take(n);
    return {reinterpret_cast<const char*>(s.data()), s.size()};
  }

  /// All of the input was read, and nothing more.
  bool exact() const noexcept { return ok && in.empty(); }
};

}  // namespace otp::dist::wire
