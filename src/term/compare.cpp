// Erlang's term order: kinds first (number < atom < reference < port < pid < tuple < map < nil <
// list < binary), then within a kind. Numbers compare by value across integers and floats; of an
// integer and a float of the same value the integer comes first (exact order, as map keys).

#include "term/term_data.hpp"

#include <algorithm>
#include <cmath>

namespace otp {
namespace {

using order = std::weak_ordering;
using storage = term_access::storage;

template <class T>
const T& as(const term& t) {
  return term_access::get<T>(t);
}

/// The integer value of a float that is integral and outside the int64 range.
big_integer big_from_double(double d) {
  int exponent = 0;
  double mantissa = std::frexp(std::fabs(d), &exponent);  // d = mantissa * 2^exponent
  auto bits = static_cast<std::uint64_t>(std::ldexp(mantissa, 53));
  auto b = big_integer::from_uint64(bits);
  // Shift left by exponent - 53 bits (>= 11 here, since |d| >= 2^63).
  std::vector<std::uint8_t> m(b.magnitude().begin(), b.magnitude().end());
  int shift = exponent - 53;
  std::vector<std::uint8_t> shifted(static_cast<std::size_t>(shift / 8), 0);
  std::uint32_t carry = 0;
  for (auto byte : m) {
    std::uint32_t v = std::uint32_t{byte} << (shift % 8) | carry;
    shifted.push_back(static_cast<std::uint8_t>(v & 0xff));
    carry = v >> 8;
  }
  shifted.push_back(static_cast<std::uint8_t>(carry));
  return big_integer{d < 0, std::move(shifted)};
}

order compare_int_double(std::int64_t i, double d) {
  constexpr double two63 = 9223372036854775808.0;
  if (d >= two63)
    return order::less;
  if (d < -two63)
    return order::greater;
  auto whole = static_cast<std::int64_t>(std::trunc(d));  // exact: |d| < 2^63
  if (auto c = i <=> whole; c != 0)
    return c;
  double fraction = d - std::trunc(d);
  if (fraction > 0)
    return order::less;
  if (fraction < 0)
    return order::greater;
  return order::less;  // same value: the integer first
}

order compare_big_double(const big_integer& b, double d) {
  constexpr double two63 = 9223372036854775808.0;
  if (std::fabs(d) < two63)  // b is outside int64, so its sign decides
    return b.negative() ? order::less : order::greater;
  if (auto c = b <=> big_from_double(d); c != 0)
    return c;
  return order::less;
}

/// Numbers of any representation: int64 (index 0), big (1), double (2).
order compare_numbers(const term& a, const term& b) {
  const auto& x = term_access::value(a);
  const auto& y = term_access::value(b);
  auto flip = [](order o) { return 0 <=> o; };
  switch (x.index() * 3 + y.index()) {
    case 0:
      return as<std::int64_t>(a) <=> as<std::int64_t>(b);
    case 1:
      return as<big_integer>(b).negative() ? order::greater : order::less;
    case 2:
      return compare_int_double(as<std::int64_t>(a), as<double>(b));
    case 3:
      return flip(compare_numbers(b, a));
    case 4:
      return as<big_integer>(a) <=> as<big_integer>(b);
    case 5:
      return compare_big_double(as<big_integer>(a), as<double>(b));
    case 6:
    case 7:
      return flip(compare_numbers(b, a));
    default: {
      double u = as<double>(a);
      double v = as<double>(b);
      return u < v ? order::less : v < u ? order::greater : order::equivalent;  // -0.0 == 0.0
    }
  }
}

order compare_sequences(std::span<const term> a, std::span<const term> b) {
  return std::lexicographical_compare_three_way(a.begin(), a.end(), b.begin(), b.end(),
                                                term_access::compare);
}

/// Lists compare element by element; where one runs out, its tail meets the rest of the other.
order compare_lists(const term& a, const term& b) {
  auto x = a.list_elements();
  auto y = b.list_elements();
  auto n = std::min(x.size(), y.size());
  if (auto c = compare_sequences(x.first(n), y.first(n)); c != 0)
    return c;
  if (x.size() == y.size())
    return term_access::compare(a.list_tail(), b.list_tail());
  // The shorter list's tail (never a list) against a non-empty rest of the longer one.
  bool a_shorter = x.size() < y.size();
  const term& tail = a_shorter ? a.list_tail() : b.list_tail();
  order tail_vs_rest = tail.kind() > term_kind::list ? order::greater : order::less;
  return a_shorter ? tail_vs_rest : 0 <=> tail_vs_rest;
}

order compare_maps(const term& a, const term& b) {
  auto x = a.map_entries();
  auto y = b.map_entries();
  if (auto c = x.size() <=> y.size(); c != 0)
    return c;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (auto c = term_access::compare(x[i].first, y[i].first); c != 0)
      return c;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (auto c = term_access::compare(x[i].second, y[i].second); c != 0)
      return c;
  return order::equivalent;
}

order compare_binaries(const term& a, const term& b) {
  auto x = a.binary_bytes();
  auto y = b.binary_bytes();
  return std::lexicographical_compare_three_way(x.begin(), x.end(), y.begin(), y.end());
}

template <class T>
order compare_boxed(const term& a, const term& b) {
  return as<T>(a) <=> as<T>(b);
}

/// Integers and floats are one class, numbers.
int rank(term_kind k) {
  return k <= term_kind::floating ? 0 : static_cast<int>(k);
}

}  // namespace

std::weak_ordering term::compare(const term& a, const term& b) noexcept {
  if (auto c = rank(a.kind()) <=> rank(b.kind()); c != 0)
    return c;
  switch (a.kind()) {
    case term_kind::integer:
    case term_kind::floating:
      return compare_numbers(a, b);
    case term_kind::atom:
      return as<atom>(a) <=> as<atom>(b);
    case term_kind::reference:
      return compare_boxed<erlang_ref>(a, b);
    case term_kind::port:
      return compare_boxed<erlang_port>(a, b);
    case term_kind::pid:
      return compare_boxed<erlang_pid>(a, b);
    case term_kind::tuple: {
      auto x = a.tuple_elements();
      auto y = b.tuple_elements();
      if (auto c = x.size() <=> y.size(); c != 0)
        return c;
      return compare_sequences(x, y);
    }
    case term_kind::map:
      return compare_maps(a, b);
    case term_kind::nil:
      return order::equivalent;
    case term_kind::list:
      return compare_lists(a, b);
    case term_kind::binary:
      return compare_binaries(a, b);
  }
  return order::equivalent;
}

}  // namespace otp
