#pragma once

#include "otp/term/term.hpp"

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace otp {

/// How a C++ type becomes a term (`to_term`) and back (`from_term`, nullopt when the term does
/// not have that shape). Specialise it for a type of your own; caf-otp's mapping:
///
/// | C++ | Erlang |
/// |---|---|
/// | integers (range-checked on the way back) | integer |
/// | `double`, `float` | float |
/// | `bool` | `true` / `false` |
/// | `otp::atom` | atom |
/// | `std::string`, `std::string_view` | binary (back: a binary or a string, a list of code points)
/// | | `std::vector<std::byte>` | binary | | `std::vector<T>` | proper list | | `std::map<K, V>`,
/// `std::unordered_map<K, V>` | map | | `std::pair`, `std::tuple` | tuple | | `std::optional<T>` |
/// `undefined` or the value | | `erlang_pid`, `erlang_ref`, `erlang_port`, `big_integer`, `term` |
/// themselves |
template <class T>
struct term_traits;

template <class T>
term to_term(const T& x) {
  return term_traits<T>::to_term(x);
}
template <std::size_t N>
term to_term(const char (&s)[N]) {
  return term::binary(std::string_view{s, N - 1});
}
template <class T>
std::optional<T> from_term(const term& t) {
  return term_traits<T>::from_term(t);
}

// -- scalars ------------------------------------------------------------------------------------

template <class T>
requires(
  std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, char>) struct term_traits<T> {
  static term to_term(T v) { return term{v}; }
  static std::optional<T> from_term(const term& t) {
    if (auto* i = t.get_if<std::int64_t>())
      return std::in_range<T>(*i) ? std::optional<T>{static_cast<T>(*i)} : std::nullopt;
    if (auto* b = t.get_if<big_integer>()) {
      auto u = b->to_uint64();
      if (u && std::in_range<T>(*u))
        return static_cast<T>(*u);
    }
    return std::nullopt;
  }
};

template <>
struct term_traits<bool> {
  static term to_term(bool b) { return term{b}; }
  static std::optional<bool> from_term(const term& t) {
    if (t.is_atom("true"))
      return true;
    if (t.is_atom("false"))
      return false;
    return std::nullopt;
  }
};

template <std::floating_point T>
struct term_traits<T> {
  static term to_term(T v) { return term{static_cast<double>(v)}; }
  static std::optional<T> from_term(const term& t) {
    auto* d = t.get_if<double>();
    return d != nullptr ? std::optional<T>{static_cast<T>(*d)} : std::nullopt;
  }
};

/// Types a term holds as they are.
template <class T>
requires(
  std::same_as<
    T,
    atom> || std::same_as<T, erlang_pid> || std::same_as<T, erlang_ref> || std::same_as<T, erlang_port>) struct
  term_traits<T> {
  static term to_term(const T& v) { return term{v}; }
  static std::optional<T> from_term(const term& t) {
    auto* v = t.template get_if<T>();
    return v != nullptr ? std::optional<T>{*v} : std::nullopt;
  }
};

template <>
struct term_traits<big_integer> {
  static term to_term(const big_integer& v) { return term{v}; }
  static std::optional<big_integer> from_term(const term& t) {
    if (auto* i = t.get_if<std::int64_t>())
      return big_integer::from_int64(*i);
    auto* b = t.get_if<big_integer>();
    return b != nullptr ? std::optional<big_integer>{*b} : std::nullopt;
  }
};

template <>
struct term_traits<term> {
  static term to_term(const term& t) { return t; }
  static std::optional<term> from_term(const term& t) { return t; }
};

// -- text and bytes -----------------------------------------------------------------------------

/// An Erlang string (a proper list of code points) as UTF-8, or nullopt.
std::optional<std::string> string_from_list(const term& t);

template <>
struct term_traits<std::string> {
  static term to_term(const std::string& s) { return term::binary(std::string_view{s}); }
  static std::optional<std::string> from_term(const term& t) {
    if (t.is_binary()) {
      auto b = t.binary_bytes();
      return std::string(b.begin(), b.end());
    }
    return string_from_list(t);
  }
};

template <>
struct term_traits<std::string_view> {
  static term to_term(std::string_view s) { return term::binary(s); }
};

template <>
struct term_traits<std::vector<std::byte>> {
  static term to_term(const std::vector<std::byte>& v) {
    return term::binary(std::span{reinterpret_cast<const std::uint8_t*>(v.data()), v.size()});
  }
  static std::optional<std::vector<std::byte>> from_term(const term& t) {
    if (!t.is_binary())
      return std::nullopt;
    auto b = t.binary_bytes();
    auto* p = reinterpret_cast<const std::byte*>(b.data());
    return std::vector<std::byte>(p, p + b.size());
  }
};

// -- containers ---------------------------------------------------------------------------------

template <class T>
struct term_traits<std::vector<T>> {
  static term to_term(const std::vector<T>& v) {
    std::vector<term> elements;
    elements.reserve(v.size());
    for (const auto& x : v)
      elements.push_back(otp::to_term(x));
    return term::list(std::move(elements));
  }
  static std::optional<std::vector<T>> from_term(const term& t) {
    if (!t.is_list() || !t.list_tail().is_nil())
      return std::nullopt;
    std::vector<T> out;
    out.reserve(t.list_elements().size());
    for (const auto& e : t.list_elements()) {
      auto x = otp::from_term<T>(e);
      if (!x)
        return std::nullopt;
      out.push_back(std::move(*x));
    }
    return out;
  }
};

namespace detail {
template <class M>
struct map_term_traits {
  static term to_term(const M& m) {
    std::vector<term::map_entry> entries;
    entries.reserve(m.size());
    for (const auto& [k, v] : m)
      entries.emplace_back(otp::to_term(k), otp::to_term(v));
    return term::map(std::move(entries));
  }
  static std::optional<M> from_term(const term& t) {
    if (!t.is_map())
      return std::nullopt;
    M out;
    for (const auto& [k, v] : t.map_entries()) {
      auto key = otp::from_term<typename M::key_type>(k);
      auto value = otp::from_term<typename M::mapped_type>(v);
      if (!key || !value)
        return std::nullopt;
      out.emplace(std::move(*key), std::move(*value));
    }
    return out;
  }
};
}  // namespace detail

template <class K, class V, class C, class A>
struct term_traits<std::map<K, V, C, A>> : detail::map_term_traits<std::map<K, V, C, A>> {};
template <class K, class V, class H, class E, class A>
struct term_traits<std::unordered_map<K, V, H, E, A>>
  : detail::map_term_traits<std::unordered_map<K, V, H, E, A>> {};

template <class... Ts>
struct term_traits<std::tuple<Ts...>> {
  static term to_term(const std::tuple<Ts...>& x) {
    return std::apply([](const auto&... e) { return term::tuple({otp::to_term(e)...}); }, x);
  }
  static std::optional<std::tuple<Ts...>> from_term(const term& t) {
    if (!t.is_tuple() || t.size() != sizeof...(Ts))
      return std::nullopt;
    return elements(t, std::index_sequence_for<Ts...>{});
  }

 private:
  template <std::size_t... Is>
  static std::optional<std::tuple<Ts...>> elements(const term& t, std::index_sequence<Is...>) {
    std::tuple<std::optional<Ts>...> parts{otp::from_term<Ts>(t[Is])...};
    if (!(std::get<Is>(parts).has_value() && ...))
      return std::nullopt;
    return std::tuple<Ts...>{std::move(*std::get<Is>(parts))...};
  }
};

template <class A, class B>
struct term_traits<std::pair<A, B>> {
  static term to_term(const std::pair<A, B>& p) {
    return term::tuple({otp::to_term(p.first), otp::to_term(p.second)});
  }
  static std::optional<std::pair<A, B>> from_term(const term& t) {
    auto x = term_traits<std::tuple<A, B>>::from_term(t);
    if (!x)
      return std::nullopt;
    return std::pair<A, B>{std::move(std::get<0>(*x)), std::move(std::get<1>(*x))};
  }
};

template <class T>
struct term_traits<std::optional<T>> {
  static term to_term(const std::optional<T>& x) {
    return x ? otp::to_term(*x) : term{atom{"undefined"}};
  }
  static std::optional<std::optional<T>> from_term(const term& t) {
    // In place: an empty inner optional copied into the outer one is a bogus
    // maybe-uninitialized warning in GCC 12.
    if (t.is_atom("undefined"))
      return std::optional<std::optional<T>>{std::in_place};
    auto x = otp::from_term<T>(t);
    if (!x)
      return std::nullopt;
    return std::optional<std::optional<T>>{std::in_place, std::move(*x)};
  }
};

}  // namespace otp
