#pragma once

#include "otp/callback_result.hpp"
#include "otp/detail/boxed.hpp"
#include "otp/detail/dispatch.hpp"
#include "otp/detail/info_view.hpp"
#include "otp/detail/server_callbacks.hpp"
#include "otp/detail/server_ops.hpp"
#include "otp/detail/server_traits.hpp"
#include "otp/detail/special_process.hpp"
#include "otp/detail/type_name.hpp"
#include "otp/types.hpp"

#include <any>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace otp::detail {

/// Applies a cast-like result: stop, or the follow-up action.
inline void finish(server_core& core, cast_result r) {
  if (r.stops())
    stop_with(core, r.reason());
  else
    apply(core, r.next());
}

/// A server of type `S` built by a constructor from the start arguments.
template <class S, class... Args>
concept constructible_from_args = std::is_constructible_v<S, Args&&...>;

/// Otherwise, an aggregate built from them: with braces, since parenthesized aggregate
/// initialization (C++20's P0960) is missing from clang before 16.
template <class S, class... Args>
concept aggregate_from_args =
  !constructible_from_args<S, Args...> && std::is_aggregate_v<S> && requires(Args && ... xs) {
  S{std::forward<Args>(xs)...};
};

template <class S, class... Args>
concept buildable_from = constructible_from_args<S, Args...> || aggregate_from_args<S, Args...>;

/// The per-type half of a gen_server: owns the user's object and calls its callbacks.
template <class S>
class server_impl final : public server_callbacks {
  static_assert(check_info_types<S>());

 public:
  template <class... Args>
  requires constructible_from_args<S, Args...>
  explicit server_impl(Args&&... xs) : state_(std::forward<Args>(xs)...) {}

  template <class... Args>
  requires aggregate_from_args<S, Args...>
  explicit server_impl(Args&&... xs) : state_{std::forward<Args>(xs)...} {}

  S& user() noexcept { return state_; }

  const void* tag() const noexcept override { return &server_tag<S>; }
  std::string type_name() const override { return detail::type_name<S>(); }
  void* state() noexcept override { return &state_; }
  const module_info& module() const noexcept override {
    static const module_info info{&typeid(server_impl), sizeof(server_impl)};
    return info;
  }

  bool handle_info(server_core& core, info_view& xs) override {
    if constexpr (has_info_types<S>) {
      if (xs.size() == 1 && try_info(core, xs, 0, typename S::info_types{}))
        return true;
    }
    if constexpr (takes_any_info<S>) {
      // A copy of the whole message, as CAF's own handlers see it.
      xs.as_message([&](const auto& msg) {
        finish(core, to_cast_result([&] { return state_.handle_info(msg); }));
      });
      return true;
    }
    return false;
  }

  bool handle_down(server_core& core, down& msg) override { return invoke_info(core, msg); }
  bool handle_exit(server_core& core, exit_signal& msg) override { return invoke_info(core, msg); }

  bool handle_timeout(server_core& core) override {
    timed_out msg;
    return invoke_info(core, msg);
  }

  void handle_continue(server_core& core, action& next) override {
    if constexpr (requires { &S::handle_continue; }) {
      using arg = typename continue_arg<decltype(&S::handle_continue)>::type;
      auto* value = std::any_cast<arg>(&next.payload());
      if (!value)
        throw std::logic_error("handle_continue: the continue value has the wrong type");
      auto r = to_cast_result([&] { return state_.handle_continue(*value); });
      if (r.stops()) {
        next = {};
        stop_with(core, r.reason());
      } else {
        next = std::move(r.next());
      }
    } else {
      (void)core;
      (void)next;
      throw std::logic_error("a callback returned continue_with but there is no handle_continue");
    }
  }

  void terminate(const exit_reason& reason) override {
    if constexpr (has_terminate<S>)
      state_.terminate(reason);
  }

  // Only the library's special processes have these hooks, by deriving from
  // special_process: a user's member that happens to bear a hook's name is not one.
  bool defer_stop(server_core&, const exit_reason& reason) override {
    if constexpr (std::is_base_of_v<special_process, S>)
      return state_.defer_stop(reason);
    else
      return false;
  }

  void exiting(server_core& core, const exit_reason& reason) override {
    if constexpr (std::is_base_of_v<special_process, S>)
      state_.exiting(core, reason);
    else
      (void)core, (void)reason;
  }

  std::string format_state() const override {
    if constexpr (has_format_state<S>)
      return state_.format_state();
    else
      return describe(state_);
  }

 private:
  template <class T>
  bool invoke_info(server_core& core, T& msg) {
    if constexpr (handles_info<S, T>) {
      finish(core, to_cast_result([&] { return state_.handle_info(msg); }));
      if (tracing(core))
        trace_new_state(core);
      return true;
    } else {
      return false;
    }
  }

  template <class... Ts>
  bool try_info(server_core& core, info_view& xs, std::size_t i, types<Ts...>) {
    return (try_info_as<Ts>(core, xs, i) || ...);
  }

  template <class T>
  bool try_info_as(server_core& core, info_view& xs, std::size_t i) {
    // `otp::send` boxes values; plain CAF senders send them bare.
    if (xs.is(i, typeid(box<T>)))
      return invoke_info(core, static_cast<box<T>*>(xs.get_mutable(i))->value);
    if (xs.is(i, typeid(T)))
      return invoke_info(core, *static_cast<T*>(xs.get_mutable(i)));
    return false;
  }

  S state_;
};

// -- the dispatch a caller sends along with its request --------------------------------------

/// A local request arrives boxed (`box<T>`); one from another node arrives bare (`T`), and its
/// reply goes back bare, for CAF to serialise.
template <class T, bool Bare>
T& request_payload(void* payload) {
  if constexpr (Bare)
    return *static_cast<T*>(payload);
  else
    return static_cast<box<T>*>(payload)->value;
}

template <class R, bool Bare>
constexpr typename from<R>::wrap_fn reply_wrap() {
  if constexpr (Bare)
    return &bare_reply<R>;
  else
    return &boxed_reply<R>;
}

template <class T, bool Bare>
std::string describe_request(const void* payload) {
  return describe(request_payload<T, Bare>(const_cast<void*>(payload)));
}

template <class S, class T, bool Bare>
[[gnu::always_inline]] inline handled call_handler(server_core& core, void* payload) {
  using R = call_reply_t<S, T>;
  constexpr auto wrap = reply_wrap<R, Bare>();
  auto& self = static_cast<server_impl<S>&>(callbacks_of(core)).user();
  auto& request = request_payload<T, Bare>(payload);
  count_call(core);
  if constexpr (call_with_from<S, T>) {
    from<R> caller{make_pending_reply(core), wrap};
    call_result<R> r = self.handle_call(request, caller);
    if (r.has_reply() && tracing(core))
      trace_reply(core, describe(r.reply()));
    if (r.stops())
      stop_with(core, r.reason());  // OTP runs terminate first, then replies
    if (r.has_reply())
      caller.reply(std::move(r.reply()));
    if (!r.stops())
      apply(core, r.next());
    return {};
  } else {
    call_result<R> r = self.handle_call(request);
    if (r.has_reply() && tracing(core))
      trace_reply(core, describe(r.reply()));
    if (r.stops()) {
      auto reply = r.has_reply() ? wrap(std::move(r.reply())) : message_ref{};
      stop_with(core, r.reason());
      if (!reply)
        return {};
      return {handled::kind::reply, std::move(reply)};
    }
    if (!r.has_reply()) {
      // `noreply` without keeping `from`: like OTP, the caller waits for its timeout.
      apply(core, r.next());
      return {};
    }
    if (r.next().what() == action::kind::continue_with) {
      // OTP replies first, then runs handle_continue.
      from<R>{make_pending_reply(core), wrap}.reply(std::move(r.reply()));
      apply(core, r.next());
      return {};
    }
    apply(core, r.next());
    return {handled::kind::reply, wrap(std::move(r.reply()))};
  }
}

template <class S, class T, bool Bare>
[[gnu::always_inline]] inline void cast_handler(server_core& core, void* payload) {
  auto& self = static_cast<server_impl<S>&>(callbacks_of(core)).user();
  auto& request = request_payload<T, Bare>(payload);
  count_cast(core);
  if constexpr (std::is_void_v<decltype(self.handle_cast(request))>)
    self.handle_cast(request);  // the common case: nothing to apply
  else
    finish(core, cast_result{self.handle_cast(request)});
}

// The entry points of a dispatch. They catch a callback's exception themselves, in the frame
// right above the user's code: C++ reads the unwind table of every frame in between twice, and
// one frame less took about 1 µs off a supervisor's restart after a crash (docs/benchmarks.md).
// A crash leaves the result delegated: the caller then learns the exit reason.

template <class S, class T, bool Bare>
handled invoke_call(server_core& core, void* payload) {
  handled result;
  guarded(core, [&] { result = call_handler<S, T, Bare>(core, payload); });
  return result;
}

template <class S, class T, bool Bare>
handled invoke_cast(server_core& core, void* payload) {
  if (!guarded(core, [&] { cast_handler<S, T, Bare>(core, payload); }))
    return {};
  if (tracing(core))
    trace_new_state(core);
  return {handled::kind::done};
}

/// `typeid(box<R>)` of a call's reply type `R`.
template <class R>
constexpr const std::type_info* reply_type() noexcept {
  if constexpr (std::is_void_v<R>)
    return nullptr;
  else
    return &typeid(box<R>);
}

template <class S, class T, bool Bare = false>
inline constexpr dispatch call_dispatch{&server_tag<S>, true, &invoke_call<S, T, Bare>,
                                        &describe_request<T, Bare>,
                                        reply_type<call_reply_t<S, T>>()};

template <class S, class T, bool Bare = false>
inline constexpr dispatch cast_dispatch{&server_tag<S>, false, &invoke_cast<S, T, Bare>,
                                        &describe_request<T, Bare>};

/// The request types a server takes from other nodes: `using remote_requests = otp::types<...>`.
template <class S>
concept has_remote_requests = requires {
  typename S::remote_requests;
};

template <class T, class List>
inline constexpr bool in_types = false;

template <class T, class... Ts>
inline constexpr bool in_types<T, types<Ts...>> = (std::is_same_v<T, Ts> || ...);

template <class S, class T>
concept remote_request = has_remote_requests<S> && in_types < std::decay_t<T>,
typename S::remote_requests > ;

}  // namespace otp::detail
