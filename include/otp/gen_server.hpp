#pragma once

// gen_server: a server process with OTP's callbacks, over a CAF event-based actor.
//
//   the caller                     the generic loop                 your class S
//   ----------                     ----------------                 ------------
//   gen_server::start<S>(...) ---> spawn, register name ----------> S(...), S::init(args...)
//                             <--- returns after init
//   gen_server::call(ref, req) --> dispatch -----------------------> S::handle_call(req[, from])
//                             <--- reply (now, or later via from)
//   gen_server::cast(ref, req) --> dispatch -----------------------> S::handle_cast(req)
//   otp::send / timers / down ---> dispatch -----------------------> S::handle_info(msg)
//                                  {continue, C} -----------------> S::handle_continue(C)
//   gen_server::stop(ref) -------> stop, exit signal, crash -------> S::terminate(reason)
//
// Every callback except init is optional. A callback returns what its OTP counterpart returns,
// as a value: `otp::reply(v)`, `otp::noreply()`, `otp::stop(reason)`, or a plain reply.

#include "otp/call_error.hpp"
#include "otp/callback_result.hpp"
#include "otp/detail/server_impl.hpp"
#include "otp/detail/server_request.hpp"
#include "otp/expected.hpp"
#include "otp/from.hpp"
#include "otp/mailbox_limit.hpp"
#include "otp/messages.hpp"
#include "otp/node.hpp"
#include "otp/pid.hpp"
#include "otp/start_error.hpp"
#include "otp/timeout.hpp"
#include "otp/types.hpp"

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace otp {

/// Options of `gen_server::start` (OTP's `ServerName` and `Options`).
struct start_options {
  /// Register the server locally under this name (`{local, Name}`); empty: anonymous.
  std::string name = {};
  /// Start with `sys::trace` on (`{debug, [trace]}`).
  bool trace = false;
  /// A bound on the server's mailbox and what a full one does; unbounded by default.
  mailbox_limit mailbox = {};
  /// How long `init` may take (`{timeout, Time}`): past it the start fails with
  /// `start_error::kind::timeout` and the half-started server is killed (no `terminate`).
  /// Enforced at init's waits; an init that computes past it fails when it returns.
  otp::timeout timeout = infinity;
};

template <class S>
using start_result = expected<server_ref<S>, start_error>;

namespace detail {

enum class start_link_mode { none, link, monitor };

node& node_of_current();

/// The gen_server calling `what`; throws when there is none (a plain thread, or a process
/// started by otp::spawn, which has no callbacks to run a reply in).
server_core& calling_server(const char* what);

/// Binds `callbacks` to the server being started (before init runs, so that init can use
/// otp::self(), timers, etc.) and returns them.
server_callbacks& bind_callbacks(server_core& core, std::unique_ptr<server_callbacks> callbacks,
                                 std::string name, bool trace);

template <class S, class... Args>
init_result construct_and_init(server_core& core, std::string name, bool trace, Args&&... args) {
  if constexpr (requires(S & s) { s.init(std::forward<Args>(args)...); }) {
    auto& user = static_cast<server_impl<S>&>(
                   bind_callbacks(core, std::make_unique<server_impl<S>>(), std::move(name), trace))
                   .user();
    if constexpr (std::is_void_v<decltype(user.init(std::forward<Args>(args)...))>) {
      user.init(std::forward<Args>(args)...);
      return ok();
    } else {
      return init_result{user.init(std::forward<Args>(args)...)};
    }
  } else {
    static_assert(buildable_from<S, Args...>,
                  "gen_server::start: S needs init(args...) or a constructor S(args...)");
    auto& user =
      static_cast<server_impl<S>&>(
        bind_callbacks(core, std::make_unique<server_impl<S>>(std::forward<Args>(args)...),
                       std::move(name), trace))
        .user();
    if constexpr (requires { user.init(); }) {
      if constexpr (std::is_void_v<decltype(user.init())>) {
        user.init();
        return ok();
      } else {
        return init_result{user.init()};
      }
    } else {
      return ok();
    }
  }
}

/// What a start runs on the new server: builds S, binds it, runs its init. A reference to the
/// caller's callable, alive for the start (a function_ref).
struct server_init {
  void* context;
  init_result (*run)(void* context, server_core& core, std::string name, bool trace);
};

/// The start of a gen_server, the same for every S (gen_server.cpp): spawn, register, init
/// through `init`, link or monitor, let it run. Out of line, so that a user's file compiles
/// none of it. `adopter`: a supervisor the new process is started for (start_for below), else
/// null.
expected<pid, start_error> start_erased(node& n, start_link_mode mode, const pid& adopter,
                                        start_options opts, server_init init);

template <class S, class... Args>
start_result<S> start_server_as(node& n, start_link_mode mode, const pid& adopter,
                                start_options opts, Args&&... args) {
  // The arguments stay where they are: the start runs init before it returns.
  auto run = [&](server_core& core, std::string name, bool trace) {
    return construct_and_init<S>(core, std::move(name), trace, std::forward<Args>(args)...);
  };
  using run_type = decltype(run);
  auto started = start_erased(
    n, mode, adopter, std::move(opts),
    server_init{&run, [](void* context, server_core& core, std::string name, bool trace) {
                  return (*static_cast<run_type*>(context))(core, std::move(name), trace);
                }});
  if (!started)
    return unexpected{std::move(started.error())};
  return server_ref<S>{std::move(*started)};
}

template <class S, class... Args>
start_result<S> start_server(node& n, start_link_mode mode, start_options opts, Args&&... args) {
  return start_server_as<S>(n, mode, pid{}, std::move(opts), std::forward<Args>(args)...);
}

/// Starts S for the supervisor `sup` with its init on the calling process's stack, as `sup`
/// would start a child; `sup` then adopts it (supervision's `adopt_child`). The socket
/// server's acceptors start connection handlers so, not through the connections' supervisor's
/// mailbox: that supervisor is one process, and a hop through it per connection halved the
/// connection rate.
template <class S, class... Args>
start_result<S> start_for(const pid& sup, Args&&... args) {
  return start_server_as<S>(node_of_current(), start_link_mode::none, sup, start_options{},
                            std::forward<Args>(args)...);
}

// The optional leading `node&` and `start_options` of the start functions.

template <class S, class First, class... Rest>
start_result<S> start_with_first(node& n, start_link_mode mode, First&& first, Rest&&... rest) {
  if constexpr (std::is_same_v<std::decay_t<First>, start_options>)
    return start_server<S>(n, mode, std::forward<First>(first), std::forward<Rest>(rest)...);
  else
    return start_server<S>(n, mode, {}, std::forward<First>(first), std::forward<Rest>(rest)...);
}

template <class S, class... Args>
start_result<S> start_on(node& n, start_link_mode mode, Args&&... args) {
  if constexpr (sizeof...(Args) > 0)
    return start_with_first<S>(n, mode, std::forward<Args>(args)...);
  else
    return start_server<S>(n, mode, {});
}

template <class S, class First, class... Rest>
start_result<S> start_peel_node(start_link_mode mode, First&& first, Rest&&... rest) {
  if constexpr (std::is_same_v<std::decay_t<First>, node>)
    return start_on<S>(first, mode, std::forward<Rest>(rest)...);
  else
    return start_on<S>(node_of_current(), mode, std::forward<First>(first),
                       std::forward<Rest>(rest)...);
}

template <class S, class... Args>
start_result<S> start_front(start_link_mode mode, Args&&... args) {
  if constexpr (sizeof...(Args) == 0)
    return start_server<S>(node_of_current(), mode, {});
  else
    return start_peel_node<S>(mode, std::forward<Args>(args)...);
}

/// The value of a reply: `box<R>` from this node, a bare `R` from another.
template <class R>
R take_reply(void* value, bool boxed) {
  if (boxed)
    return std::move(static_cast<box<R>*>(value)->value);
  return std::move(*static_cast<R*>(value));
}

/// Out of line: it runs after a call's wait, and its locals would otherwise sit in the frame
/// that waits (a waiting process's frames are what its waiting costs).
template <class R>
[[gnu::noinline]] expected<R, call_error> unbox_reply(expected<message_ref, call_error> response) {
  if (!response)
    return unexpected{std::move(response.error())};
  bool boxed = false;
  if (void* value = reply_value(*response, typeid(box<R>), typeid(R), boxed))
    return take_reply<R>(value, boxed);
  return unexpected{call_error{call_error::kind::badarg}};
}

/// The reply of a call that throws its error (`gen_server::call`). Out of line, and without
/// an `expected<R, call_error>` in the caller's frame: that frame is under the call's wait.
template <class R>
[[gnu::noinline]] R unbox_reply_or_throw(expected<message_ref, call_error> response) {
  return unbox_reply<R>(std::move(response)).value();
}

}  // namespace detail

/// OTP's `gen_server` module.
namespace gen_server {

/// Starts a server of type `S` and returns once its `init` returned (OTP's `start/3,4`).
///
/// Arguments, all optional: the `node&` to run on (default: the calling process's node), a
/// `start_options` (name, trace), then the arguments of `S::init` (or of `S`'s constructor).
/// Errors: `already_started` (with the existing pid), init's `stop` reason or exception,
/// `ignore`.
template <class S, class... Args>
start_result<S> start(Args&&... args) {
  return detail::start_front<S>(detail::start_link_mode::none, std::forward<Args>(args)...);
}

/// `start`, then link the new server to the calling process (OTP's `start_link`). Called
/// outside any process, it is `start`.
template <class S, class... Args>
start_result<S> start_link(Args&&... args) {
  return detail::start_front<S>(detail::start_link_mode::link, std::forward<Args>(args)...);
}

/// `start`, then the calling process monitors the server (OTP's `start_monitor`).
template <class S, class... Args>
start_result<S> start_monitor(Args&&... args) {
  return detail::start_front<S>(detail::start_link_mode::monitor, std::forward<Args>(args)...);
}

/// Calls the server and waits for its reply, or a typed error (OTP's `gen_server:call/3`).
template <class S, class T>
auto try_call(const server_ref<S>& server, T&& request, timeout t = default_call_timeout)
  -> expected<detail::call_reply_t<S, T>, call_error> {
  static_assert(detail::handles_call<S, T>, "the server has no handle_call for this request");
  return detail::unbox_reply<detail::call_reply_t<S, T>>(
    detail::call_server(server, detail::call_dispatch<S, std::decay_t<T>>,
                        detail::box_maker::of(std::forward<T>(request)), t));
}

/// Like `try_call`, but throws the `call_error` — the way an OTP caller exits when a call
/// fails. Thrown inside a callback, it crashes the calling server unless caught.
template <class S, class T>
auto call(const server_ref<S>& server, T&& request, timeout t = default_call_timeout)
  -> detail::call_reply_t<S, T> {
  static_assert(detail::handles_call<S, T>, "the server has no handle_call for this request");
  return detail::unbox_reply_or_throw<detail::call_reply_t<S, T>>(
    detail::call_server(server, detail::call_dispatch<S, std::decay_t<T>>,
                        detail::box_maker::of(std::forward<T>(request)), t));
}

/// Sends a request without waiting (OTP's `gen_server:cast/2`). Never blocks, and fails only
/// when the server's mailbox is full and its `mailbox_limit` says `fail_sender` (it throws
/// `otp::mailbox_full`); a cast to a dead server is dropped.
template <class S, class T>
void cast(const server_ref<S>& server, T&& request) {
  static_assert(detail::handles_cast<S, T>, "the server has no handle_cast for this request");
  detail::cast_server(server, detail::cast_dispatch<S, std::decay_t<T>>,
                      detail::box_maker::of(std::forward<T>(request)));
}

/// Calls the server without blocking the calling process: `on_reply(expected<R, call_error>)`
/// runs in the calling process when the reply (or the error) arrives. Must be called from a
/// process (OTP's `send_request` + `receive_response`, folded into a callback).
template <class S, class T, class F>
void async_call(const server_ref<S>& server, T&& request, timeout t, F on_reply) {
  static_assert(detail::handles_call<S, T>, "the server has no handle_call for this request");
  using R = detail::call_reply_t<S, T>;
  using result = expected<R, call_error>;
  detail::async_call_server(
    server, detail::call_dispatch<S, std::decay_t<T>>,
    detail::box_maker::of(std::forward<T>(request)), t,
    [on_reply = std::move(on_reply), server = pid{server}](detail::message_ref& reply) mutable {
      bool boxed = false;
      if (!reply)  // not sent: a type the server's node cannot read, or no server
        on_reply(result{
          unexpected{call_error{server ? call_error::kind::badarg : call_error::kind::noproc}}});
      else if (void* value = detail::reply_value(reply, typeid(detail::box<R>), typeid(R), boxed))
        on_reply(result{detail::take_reply<R>(value, boxed)});
      else
        on_reply(result{unexpected{detail::reply_error(reply, server)}});
    });
}

/// Stops the server with `reason` and waits until it has exited: `terminate(reason)` runs
/// first (OTP's `gen_server:stop/3`). Errors: `noproc`, `timeout`.
expected<void, call_error> stop(const pid& server, exit_reason reason = exit_reason::normal(),
                                timeout t = infinity);

/// The server registered under `name` on `n`, as a `server_ref<S>` (checked at each call).
template <class S>
std::optional<server_ref<S>> whereis(node& n, std::string_view name) {
  if (auto p = n.whereis(name))
    return server_ref<S>{*p};
  return std::nullopt;
}

}  // namespace gen_server

}  // namespace otp
