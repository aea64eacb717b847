#pragma once

#include "otp/callback_result.hpp"
#include "otp/detail/info_check.hpp"
#include "otp/from.hpp"

#include <type_traits>
#include <utility>

namespace otp::detail {

/// Converts to any `from<R>`: lets overload resolution pick the `handle_call` overload for a
/// request and tell its reply type, without the user declaring anything.
struct any_from {
  template <class R>
  operator from<R>() const;
};

template <class S, class T>
concept call_with_from = requires(S& s, T& t) {
  s.handle_call(t, any_from{});
};

template <class S, class T>
concept call_without_from = requires(S& s, T& t) {
  s.handle_call(t);
};

template <class X>
struct unwrap_reply {
  using type = X;
};

template <class R>
struct unwrap_reply<call_result<R>> {
  using type = R;
};

template <class R>
struct unwrap_reply<reply_t<R>> {
  using type = R;
};

template <class S, class T, bool WithFrom = call_with_from<S, T>>
struct call_reply;

template <class S, class T>
struct call_reply<S, T, true> {
  using type = typename unwrap_reply<
    std::decay_t<decltype(std::declval<S&>().handle_call(std::declval<T&>(), any_from{}))>>::type;
};

template <class S, class T>
struct call_reply<S, T, false> {
  using type = typename unwrap_reply<
    std::decay_t<decltype(std::declval<S&>().handle_call(std::declval<T&>()))>>::type;
};

/// The reply type of `S::handle_call` for a request of type `T`.
template <class S, class T>
using call_reply_t = typename call_reply<S, std::decay_t<T>>::type;

template <class S, class T>
concept handles_call = call_with_from<S, std::decay_t<T>> || call_without_from<S, std::decay_t<T>>;

template <class S, class T>
concept handles_cast = requires(S& s, std::decay_t<T>& t) {
  s.handle_cast(t);
};

template <class S>
concept has_terminate = requires(S& s, const exit_reason& r) {
  s.terminate(r);
};

template <class S>
concept has_format_state = requires(const S& s) {
  { s.format_state() } -> std::convertible_to<std::string>;
};

/// Turns what a cast/info/continue callback returned into a `cast_result` (void means noreply).
template <class F>
cast_result to_cast_result(F&& f) {
  if constexpr (std::is_void_v<decltype(f())>) {
    f();
    return {};
  } else {
    return cast_result{f()};
  }
}

/// The single parameter type of `S::handle_continue` (the server's `{continue, C}` payload).
template <class F>
struct continue_arg;

template <class S, class R, class A>
struct continue_arg<R (S::*)(A)> {
  using type = std::decay_t<A>;
};

}  // namespace otp::detail
