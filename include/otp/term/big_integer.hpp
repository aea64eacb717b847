#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace otp {

/// An integer of any size, as Erlang's bignums: a sign and a magnitude in little-endian bytes,
/// the layout of the external term format's SMALL_BIG_EXT / LARGE_BIG_EXT. Kept normalised (no
/// high zero bytes, zero is never negative) so that equal numbers are equal objects.
///
/// It stores and compares; it does no arithmetic. `otp::term` keeps integers that fit in
/// 64 bits as `std::int64_t`, so a `big_integer` inside a term is always outside that range.
class big_integer {
 public:
  /// Zero.
  big_integer() = default;
  big_integer(bool negative, std::vector<std::uint8_t> magnitude_le);

  static big_integer from_int64(std::int64_t v);
  static big_integer from_uint64(std::uint64_t v);
  /// Decimal digits with an optional '-'; nullopt for anything else.
  static std::optional<big_integer> from_string(std::string_view decimal);

  bool negative() const noexcept { return negative_; }
  bool is_zero() const noexcept { return magnitude_.empty(); }
  /// Little-endian bytes, without high zero bytes (empty for zero).
  std::span<const std::uint8_t> magnitude() const noexcept { return magnitude_; }

  std::optional<std::int64_t> to_int64() const noexcept;
  std::optional<std::uint64_t> to_uint64() const noexcept;
  /// The nearest double (infinite when out of range).
  double to_double() const noexcept;
  /// Decimal, as Erlang prints it.
  std::string to_string() const;

  friend bool operator==(const big_integer&, const big_integer&) = default;
  friend std::strong_ordering operator<=>(const big_integer& a, const big_integer& b) noexcept;

 private:
  bool negative_ = false;
  std::vector<std::uint8_t> magnitude_;
};

}  // namespace otp
