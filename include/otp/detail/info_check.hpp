#pragma once

// What a server can take in `handle_info`, for the compile-time checks of `otp::send` to a
// `server_ref<S>` and of a server's `info_types`. The runtime delivers a message sent with
// `otp::send` only if its type is listed in `info_types` (a server's handle_info overloads
// cannot be enumerated), or to a catch-all `handle_info(const caf::message&)`.

#include "otp/messages.hpp"
#include "otp/types.hpp"

#include <concepts>
#include <type_traits>

namespace caf {
class message;
}  // namespace caf

namespace otp::detail {

template <class S, class T>
concept handles_info = requires(S& s, T& t) {
  s.handle_info(t);
};

template <class S>
concept has_info_types = requires {
  typename S::info_types;
};

/// A catch-all `handle_info(const caf::message&)`: every message reaches it.
template <class S>
concept takes_any_info = requires(S& s, const caf::message& m) {
  s.handle_info(m);
};

template <class T, class List>
inline constexpr bool listed_in = false;

template <class T, class... Ts>
inline constexpr bool listed_in<T, types<Ts...>> = (std::same_as<T, Ts> || ...);

template <class S, class T>
consteval bool lists_info_type() {
  if constexpr (has_info_types<S>)
    return listed_in<T, typename S::info_types>;
  else
    return false;
}

/// Messages that reach `handle_info` without a listing: the runtime's own (monitors, links,
/// timeouts) and, specialised by the layers above, what they hand to a handler directly (the
/// socket server's events).
template <class T>
inline constexpr bool delivered_unlisted =
  std::same_as<T, down> || std::same_as<T, exit_signal> || std::same_as<T, timed_out>;

/// True when `otp::send(server_ref<S>, T)` reaches one of S's handle_info overloads.
template <class S, class T>
concept accepts_info = takes_any_info<S> ||(lists_info_type<S, T>() && handles_info<S, T>);

/// The parameter of a single, non-template `S::handle_info` (void for other shapes).
template <class F>
struct info_param {
  using type = void;
};
template <class C, class R, class A>
struct info_param<R (C::*)(A)> {
  using type = std::remove_cvref_t<A>;
};
template <class C, class R, class A>
struct info_param<R (C::*)(A) noexcept> : info_param<R (C::*)(A)> {};
template <class C, class R, class A>
struct info_param<R (C::*)(A) const> : info_param<R (C::*)(A)> {};
template <class C, class R, class A>
struct info_param<R (C::*)(A) const noexcept> : info_param<R (C::*)(A)> {};

/// Instantiated with the type a server's only handle_info takes, so that the error names it.
template <class S, class T>
struct check_info_handler {
  static_assert(
    std::is_void_v<
      T> || std::same_as<T, caf::message> || delivered_unlisted<T> || lists_info_type<S, T>(),
    "this gen_server's handle_info takes a type that is not listed in its "
    "info_types, so a message of that type would never reach it: add "
    "`using info_types = otp::types<T>;` (T is named in the instantiation above)");
  static constexpr bool ok = true;
};

/// Instantiated with each type of `info_types`, so that the error names the one not handled.
template <class S, class T>
struct check_listed_info {
  static_assert(handles_info<S, T> || takes_any_info<S>,
                "a type listed in this gen_server's info_types has no handle_info overload "
                "that takes it (T is named in the instantiation above)");
  static constexpr bool ok = true;
};

template <class S, class... Ts>
consteval bool check_listed(types<Ts...>) {
  return (check_listed_info<S, Ts>::ok && ...);
}

/// The checks a server's info messages can have at compile time. With several handle_info
/// overloads C++ cannot list them, so only the listed types are checked then.
template <class S>
consteval bool check_info_types() {
  if constexpr (requires { &S::handle_info; })
    static_assert(check_info_handler<S, typename info_param<decltype(&S::handle_info)>::type>::ok);
  if constexpr (has_info_types<S>)
    return check_listed<S>(typename S::info_types{});
  else
    return true;
}

}  // namespace otp::detail
