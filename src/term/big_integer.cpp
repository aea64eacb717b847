#include "otp/term/big_integer.hpp"

#include <algorithm>
#include <cmath>

namespace otp {

big_integer::big_integer(bool negative, std::vector<std::uint8_t> magnitude_le)
  : magnitude_(std::move(magnitude_le)) {
  while (!magnitude_.empty() && magnitude_.back() == 0)
    magnitude_.pop_back();
  negative_ = negative && !magnitude_.empty();
}

big_integer big_integer::from_uint64(std::uint64_t v) {
  std::vector<std::uint8_t> bytes;
  for (; v != 0; v >>= 8)
    bytes.push_back(static_cast<std::uint8_t>(v & 0xff));
  return big_integer{false, std::move(bytes)};
}

big_integer big_integer::from_int64(std::int64_t v) {
  // The magnitude of INT64_MIN does not fit in an int64: negate in unsigned arithmetic.
  auto magnitude = v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v);
  auto b = from_uint64(magnitude);
  b.negative_ = v < 0;
  return b;
}

std::optional<std::uint64_t> big_integer::to_uint64() const noexcept {
  if (negative_ || magnitude_.size() > 8)
    return std::nullopt;
  std::uint64_t v = 0;
  for (auto it = magnitude_.rbegin(); it != magnitude_.rend(); ++it)
    v = v << 8 | *it;
  return v;
}

std::optional<std::int64_t> big_integer::to_int64() const noexcept {
  if (magnitude_.size() > 8)
    return std::nullopt;
  std::uint64_t m = 0;
  for (auto it = magnitude_.rbegin(); it != magnitude_.rend(); ++it)
    m = m << 8 | *it;
  constexpr auto max = static_cast<std::uint64_t>(INT64_MAX);
  if (!negative_)
    return m <= max ? std::optional<std::int64_t>{static_cast<std::int64_t>(m)} : std::nullopt;
  if (m > max + 1)
    return std::nullopt;
  return m == max + 1 ? INT64_MIN : -static_cast<std::int64_t>(m);
}

double big_integer::to_double() const noexcept {
  double v = 0;
  for (auto it = magnitude_.rbegin(); it != magnitude_.rend(); ++it)
    v = v * 256 + *it;
  return negative_ ? -v : v;
}

namespace {

/// Divides a little-endian magnitude by `d` in place; returns the remainder.
std::uint32_t divide(std::vector<std::uint8_t>& m, std::uint32_t d) {
  std::uint64_t rest = 0;
  for (auto it = m.rbegin(); it != m.rend(); ++it) {
    rest = rest << 8 | *it;
    *it = static_cast<std::uint8_t>(rest / d);
    rest %= d;
  }
  while (!m.empty() && m.back() == 0)
    m.pop_back();
  return static_cast<std::uint32_t>(rest);
}

/// m = m * f + add, little-endian.
void multiply_add(std::vector<std::uint8_t>& m, std::uint32_t f, std::uint32_t add) {
  std::uint64_t carry = add;
  for (auto& byte : m) {
    carry += std::uint64_t{byte} * f;
    byte = static_cast<std::uint8_t>(carry & 0xff);
    carry >>= 8;
  }
  for (; carry != 0; carry >>= 8)
    m.push_back(static_cast<std::uint8_t>(carry & 0xff));
}

}  // namespace

std::string big_integer::to_string() const {
  if (magnitude_.empty())
    return "0";
  std::string digits;  // reversed
  auto m = magnitude_;
  while (!m.empty()) {
    auto chunk = divide(m, 1'000'000'000);
    for (int i = 0; i < 9 && (chunk != 0 || !m.empty()); ++i, chunk /= 10)
      digits.push_back(static_cast<char>('0' + chunk % 10));
  }
  if (negative_)
    digits.push_back('-');
  std::reverse(digits.begin(), digits.end());
  return digits;
}

std::optional<big_integer> big_integer::from_string(std::string_view decimal) {
  bool negative = !decimal.empty() && decimal.front() == '-';
  if (negative)
    decimal.remove_prefix(1);
  if (decimal.empty())
    return std::nullopt;
  std::vector<std::uint8_t> m;
  for (char c : decimal) {
    if (c < '0' || c > '9')
      return std::nullopt;
    multiply_add(m, 10, static_cast<std::uint32_t>(c - '0'));
  }
  return big_integer{negative, std::move(m)};
}

std::strong_ordering operator<=>(const big_integer& a, const big_integer& b) noexcept {
  if (a.negative_ != b.negative_)
    return a.negative_ ? std::strong_ordering::less : std::strong_ordering::greater;
  auto magnitude = [&] {
    if (a.magnitude_.size() != b.magnitude_.size())
      return a.magnitude_.size() <=> b.magnitude_.size();
    return std::lexicographical_compare_three_way(a.magnitude_.rbegin(), a.magnitude_.rend(),
                                                  b.magnitude_.rbegin(), b.magnitude_.rend());
  }();
  return a.negative_ ? 0 <=> magnitude : magnitude;
}

}  // namespace otp
