#pragma once

#include "otp/detail/text_formatter.hpp"
#include "otp/expected.hpp"
#include "otp/term/term.hpp"

#include <concepts>
#include <cstddef>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

namespace otp {

/// Why a term does not convert to a C++ type (`try_from_term`): what the type takes, what the
/// term holds instead, and where in the term.
struct convert_error {
  enum class kind {
    wrong_type,    // another kind of term: an atom where an integer goes, a list for a tuple
    out_of_range,  // an integer the C++ type cannot hold
    wrong_tag,     // a record (a type with a type name) whose first element is another atom
    wrong_arity,   // a tuple of another size than the record or std::tuple
  };
  kind what = kind::wrong_type;
  /// What the C++ type takes there: "an integer in [0, 255]", "a {bump, _} record", ...
  std::string expected;
  /// The term found there.
  term got;
  /// Where, outermost first: `{2}` a tuple's second element (1-based, as Erlang's element/2),
  /// `[3]` a list's third element, `#{K}` the value of key K of a map, `#{K}=>` the key itself.
  /// Empty: the term as a whole.
  std::string path;
};

std::string_view to_string(convert_error::kind k) noexcept;
/// `wrong_type at {2}: expected an integer in [-2147483648, 2147483647], got foo`; a long term
/// is cut after 200 characters.
std::string to_string(const convert_error& e);

/// How a C++ type becomes a term (`to_term`) and back (`from_term`, nullopt when the term does
/// not have that shape). Specialise it for a type of your own: `to_term(const T&)` and
/// `from_term(const term&, convert_error* why = nullptr)` (set `*why` when it is not null and
/// the term does not fit; a `from_term(const term&)` alone works too, with a plainer error).
/// caf-otp's mapping:
///
/// | C++ | Erlang |
/// |---|---|
/// | integers (range-checked on the way back) | integer |
/// | `double`, `float` | float |
/// | `bool` | `true` / `false` |
/// | `otp::atom` | atom |
/// | `std::string`, `std::string_view` | binary (back: a binary or a string, a list of code points)
/// | `std::vector<std::byte>` | binary |
/// | `std::vector<T>` | proper list |
/// | `std::map<K, V>`, `std::unordered_map<K, V>` | map |
/// | `std::pair`, `std::tuple` | tuple |
/// | `std::optional<T>` | `undefined` or the value |
/// | `erlang_pid`, `erlang_ref`, `erlang_port`, `big_integer`, `term` | themselves |
/// | a type with CAF's `inspect` (otp/term/inspect.hpp) | a record: `{type_name, fields...}` |
template <class T>
struct term_traits;

namespace detail {

/// Notes in `why` (when not null) that `t` is not what `expected` says.
inline void convert_failed(convert_error* why, convert_error::kind k, std::string expected,
                           const term& t) {
  if (why != nullptr)
    *why = convert_error{k, std::move(expected), t, {}};
}

/// Puts `step` in front of the path of a failure found inside an element.
inline void convert_step(convert_error* why, std::string_view step) {
  if (why != nullptr)
    why->path.insert(0, step);
}

inline std::string element_step(std::size_t i) {
  // Appended, not `"{" + ...`: GCC 12 at -O3 warns (-Wrestrict) on a literal prepended to a
  // temporary string.
  std::string step{"{"};
  step += std::to_string(i + 1);
  step += '}';
  return step;
}

template <class T>
concept explains_conversion = requires(const term& t, convert_error* why) {
  { term_traits<T>::from_term(t, why) } -> std::same_as<std::optional<T>>;
};

template <class T>
std::optional<T> from_term_why(const term& t, convert_error* why) {
  if constexpr (explains_conversion<T>) {
    return term_traits<T>::from_term(t, why);
  } else {
    auto v = term_traits<T>::from_term(t);
    if (!v)
      convert_failed(why, convert_error::kind::wrong_type, "what its term_traits take", t);
    return v;
  }
}

}  // namespace detail

template <class T>
term to_term(const T& x) {
  return term_traits<T>::to_term(x);
}
template <std::size_t N>
term to_term(const char (&s)[N]) {
  return term::binary(std::string_view{s, N - 1});
}
/// `t` as a `T`, or nullopt when it has another shape.
template <class T>
std::optional<T> from_term(const term& t) {
  return detail::from_term_why<T>(t, nullptr);
}
/// `t` as a `T`, or why not: which element of `t` does not fit and what `T` takes there.
template <class T>
expected<T, convert_error> try_from_term(const term& t) {
  convert_error why;
  if (auto v = detail::from_term_why<T>(t, &why))
    return std::move(*v);
  return unexpected{std::move(why)};
}

// -- scalars ------------------------------------------------------------------------------------

template <class T>
requires(
  std::integral<T> && !std::same_as<T, bool> && !std::same_as<T, char>) struct term_traits<T> {
  static term to_term(T v) { return term{v}; }
  static std::optional<T> from_term(const term& t, convert_error* why = nullptr) {
    bool integer = false;
    if (auto* i = t.get_if<std::int64_t>()) {
      if (std::in_range<T>(*i))
        return static_cast<T>(*i);
      integer = true;
    } else if (auto* b = t.get_if<big_integer>()) {
      auto u = b->to_uint64();
      if (u && std::in_range<T>(*u))
        return static_cast<T>(*u);
      integer = true;
    }
    if (why != nullptr)
      detail::convert_failed(
        why, integer ? convert_error::kind::out_of_range : convert_error::kind::wrong_type,
        "an integer in [" + std::to_string(std::numeric_limits<T>::min()) + ", "
          + std::to_string(std::numeric_limits<T>::max()) + "]",
        t);
    return std::nullopt;
  }
};

template <>
struct term_traits<bool> {
  static term to_term(bool b) { return term{b}; }
  static std::optional<bool> from_term(const term& t, convert_error* why = nullptr) {
    if (t.is_atom("true"))
      return true;
    if (t.is_atom("false"))
      return false;
    detail::convert_failed(why, convert_error::kind::wrong_type, "true or false", t);
    return std::nullopt;
  }
};

template <std::floating_point T>
struct term_traits<T> {
  static term to_term(T v) { return term{static_cast<double>(v)}; }
  static std::optional<T> from_term(const term& t, convert_error* why = nullptr) {
    if (auto* d = t.get_if<double>())
      return static_cast<T>(*d);
    detail::convert_failed(why, convert_error::kind::wrong_type, "a float", t);
    return std::nullopt;
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
  static std::optional<T> from_term(const term& t, convert_error* why = nullptr) {
    if (auto* v = t.template get_if<T>())
      return *v;
    detail::convert_failed(why, convert_error::kind::wrong_type, label(), t);
    return std::nullopt;
  }

 private:
  static const char* label() {
    if constexpr (std::same_as<T, atom>)
      return "an atom";
    else if constexpr (std::same_as<T, erlang_pid>)
      return "a pid";
    else if constexpr (std::same_as<T, erlang_ref>)
      return "a reference";
    else
      return "a port";
  }
};

template <>
struct term_traits<big_integer> {
  static term to_term(const big_integer& v) { return term{v}; }
  static std::optional<big_integer> from_term(const term& t, convert_error* why = nullptr) {
    if (auto* i = t.get_if<std::int64_t>())
      return big_integer::from_int64(*i);
    if (auto* b = t.get_if<big_integer>())
      return *b;
    detail::convert_failed(why, convert_error::kind::wrong_type, "an integer", t);
    return std::nullopt;
  }
};

template <>
struct term_traits<term> {
  static term to_term(const term& t) { return t; }
  static std::optional<term> from_term(const term& t, convert_error* = nullptr) { return t; }
};

// -- text and bytes -----------------------------------------------------------------------------

/// An Erlang string (a proper list of code points) as UTF-8, or nullopt.
std::optional<std::string> string_from_list(const term& t);

template <>
struct term_traits<std::string> {
  static term to_term(const std::string& s) { return term::binary(std::string_view{s}); }
  static std::optional<std::string> from_term(const term& t, convert_error* why = nullptr) {
    if (t.is_binary()) {
      auto b = t.binary_bytes();
      return std::string(b.begin(), b.end());
    }
    auto s = string_from_list(t);
    if (!s)
      detail::convert_failed(why, convert_error::kind::wrong_type,
                             "a binary or a string (a list of code points)", t);
    return s;
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
  static std::optional<std::vector<std::byte>> from_term(const term& t,
                                                         convert_error* why = nullptr) {
    if (!t.is_binary()) {
      detail::convert_failed(why, convert_error::kind::wrong_type, "a binary", t);
      return std::nullopt;
    }
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
  static std::optional<std::vector<T>> from_term(const term& t, convert_error* why = nullptr) {
    if (!t.is_list() || !t.list_tail().is_nil()) {
      detail::convert_failed(why, convert_error::kind::wrong_type, "a proper list", t);
      return std::nullopt;
    }
    std::vector<T> out;
    out.reserve(t.list_elements().size());
    for (const auto& e : t.list_elements()) {
      auto x = detail::from_term_why<T>(e, why);
      if (!x) {
        detail::convert_step(why, "[" + std::to_string(out.size() + 1) + "]");
        return std::nullopt;
      }
      out.push_back(std::move(*x));
    }
    return out;
  }
};

namespace detail {
/// `#{K}` (or `#{K}=>`, the key itself), K as Erlang prints it.
std::string key_step(const term& key, std::string_view suffix);

template <class M>
struct map_term_traits {
  static term to_term(const M& m) {
    std::vector<term::map_entry> entries;
    entries.reserve(m.size());
    for (const auto& [k, v] : m)
      entries.emplace_back(otp::to_term(k), otp::to_term(v));
    return term::map(std::move(entries));
  }
  static std::optional<M> from_term(const term& t, convert_error* why = nullptr) {
    if (!t.is_map()) {
      convert_failed(why, convert_error::kind::wrong_type, "a map", t);
      return std::nullopt;
    }
    M out;
    for (const auto& [k, v] : t.map_entries()) {
      auto key = from_term_why<typename M::key_type>(k, why);
      if (!key) {
        convert_step(why, key_step(k, "=>"));
        return std::nullopt;
      }
      auto value = from_term_why<typename M::mapped_type>(v, why);
      if (!value) {
        convert_step(why, key_step(k, ""));
        return std::nullopt;
      }
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
  static std::optional<std::tuple<Ts...>> from_term(const term& t, convert_error* why = nullptr) {
    if (!t.is_tuple()) {
      detail::convert_failed(why, convert_error::kind::wrong_type,
                             "a tuple of " + std::to_string(sizeof...(Ts)), t);
      return std::nullopt;
    }
    if (t.size() != sizeof...(Ts)) {
      detail::convert_failed(why, convert_error::kind::wrong_arity,
                             "a tuple of " + std::to_string(sizeof...(Ts)), t);
      return std::nullopt;
    }
    return elements(t, why, std::index_sequence_for<Ts...>{});
  }

 private:
  template <std::size_t... Is>
  static std::optional<std::tuple<Ts...>> elements(const term& t, convert_error* why,
                                                   std::index_sequence<Is...>) {
    std::tuple<std::optional<Ts>...> parts;
    // In order, stopping at the first element that does not fit (the one `why` tells of).
    bool ok = ((std::get<Is>(parts) = element<Ts>(t, Is, why)).has_value() && ...);
    if (!ok)
      return std::nullopt;
    return std::tuple<Ts...>{std::move(*std::get<Is>(parts))...};
  }
  template <class E>
  static std::optional<E> element(const term& t, std::size_t i, convert_error* why) {
    auto x = detail::from_term_why<E>(t[i], why);
    if (!x)
      detail::convert_step(why, detail::element_step(i));
    return x;
  }
};

template <class A, class B>
struct term_traits<std::pair<A, B>> {
  static term to_term(const std::pair<A, B>& p) {
    return term::tuple({otp::to_term(p.first), otp::to_term(p.second)});
  }
  static std::optional<std::pair<A, B>> from_term(const term& t, convert_error* why = nullptr) {
    auto x = term_traits<std::tuple<A, B>>::from_term(t, why);
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
  static std::optional<std::optional<T>> from_term(const term& t, convert_error* why = nullptr) {
    // In place: an empty inner optional copied into the outer one is a bogus
    // maybe-uninitialized warning in GCC 12.
    if (t.is_atom("undefined"))
      return std::optional<std::optional<T>>{std::in_place};
    auto x = detail::from_term_why<T>(t, why);
    if (!x)
      return std::nullopt;
    return std::optional<std::optional<T>>{std::in_place, std::move(*x)};
  }
};

}  // namespace otp

/// `{}` prints `to_string(e)`.
template <>
struct fmt::formatter<otp::convert_error> : otp::detail::text_formatter {
  template <class FormatContext>
  auto format(const otp::convert_error& e, FormatContext& ctx) const {
    return write(otp::to_string(e), ctx.out());
  }
};
