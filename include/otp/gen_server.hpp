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

#include "otp/caf.hpp"
#include "otp/call_error.hpp"
#include "otp/callback_result.hpp"
#include "otp/detail/atoms.hpp"
#include "otp/detail/node_access.hpp"
#include "otp/detail/quiet_caf_logger.hpp"
#include "otp/detail/request.hpp"
#include "otp/detail/send_refusal.hpp"
#include "otp/detail/server_impl.hpp"
#include "otp/detail/start_deadline.hpp"
#include "otp/expected.hpp"
#include "otp/from.hpp"
#include "otp/mailbox_limit.hpp"
#include "otp/messages.hpp"
#include "otp/node.hpp"
#include "otp/pid.hpp"
#include "otp/start_error.hpp"
#include "otp/timeout.hpp"
#include "otp/types.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/send.hpp>

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

template <class S, class... Args>
init_result construct_and_init(server_core& core, std::string name, bool trace, Args&&... args) {
  // The callbacks are bound before init runs, so that init can use otp::self(), timers, etc.
  if constexpr (requires(S & s) { s.init(std::forward<Args>(args)...); }) {
    core.bind(std::make_unique<server_impl<S>>(), std::move(name), trace);
    auto& user = static_cast<server_impl<S>*>(core.callbacks())->user();
    if constexpr (std::is_void_v<decltype(user.init(std::forward<Args>(args)...))>) {
      user.init(std::forward<Args>(args)...);
      return ok();
    } else {
      return init_result{user.init(std::forward<Args>(args)...)};
    }
  } else {
    static_assert(buildable_from<S, Args...>,
                  "gen_server::start: S needs init(args...) or a constructor S(args...)");
    core.bind(std::make_unique<server_impl<S>>(std::forward<Args>(args)...), std::move(name),
              trace);
    auto& user = static_cast<server_impl<S>*>(core.callbacks())->user();
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

/// `adopter`: a supervisor the new process is started for (start_for below), else null.
template <class S, class... Args>
start_result<S> start_server_as(node& n, start_link_mode mode, const pid& adopter,
                                start_options opts, Args&&... args) {
  auto* parent = process_core::current();
  if (mode == start_link_mode::monitor && !parent)
    throw std::logic_error("gen_server::start_monitor needs a calling process");
  // Spawned lazily: the process runs only once init has returned (see server_core::started).
  auto handle = n.system().spawn<server_core, caf::lazy_init>();
  quiet_caf_logger();
  auto* core = caf::actor_cast<server_core*>(handle);
  auto self = to_pid(handle);
  try {
    core->limit_mailbox(opts.mailbox);
  } catch (...) {
    core->abandon(exit_reason::normal());  // bad options: the process never existed
    throw;
  }
  if (!opts.name.empty()) {
    otp::pid holder;
    if (!node_access::register_name(n, opts.name, self, holder))
      return unexpected{start_error{start_error::kind::already_started, {}, holder}};
  }
  core->bound_init(opts.timeout, parent);
  init_result result = ok();
  {
    process_core::scope scope{core};
    try {
      result =
        construct_and_init<S>(*core, std::move(opts.name), opts.trace, std::forward<Args>(args)...);
    } catch (const process_exit&) {
      core->abandon(exit_reason::killed());  // the calling process was killed while init waited
      throw;
    } catch (const start_timeout& e) {
      core->init_overran();
      core->abandon(exit_reason::killed());
      if (e.owner != core)
        throw;  // the deadline of an enclosing start: it gives up
      return unexpected{start_error{start_error::kind::timeout, exit_reason::timeout()}};
    } catch (const exit_request& e) {
      result = otp::stop(e.reason);  // otp::exit(Reason) in init
    } catch (const std::exception& e) {
      result = otp::stop(exit_reason::exception(e.what()));
    } catch (...) {
      result = otp::stop(exit_reason::exception("unknown"));
    }
  }
  if (core->init_overran()) {  // init computed past its deadline without waiting
    core->abandon(exit_reason::killed());
    return unexpected{start_error{start_error::kind::timeout, exit_reason::timeout()}};
  }
  if (result.what() != init_result::kind::ok) {
    core->abandon(result.what() == init_result::kind::ignore ? exit_reason::normal()
                                                             : result.reason());
    if (result.what() == init_result::kind::ignore)
      return unexpected{start_error{start_error::kind::ignore}};
    return unexpected{start_error{start_error::kind::init_failed, result.reason()}};
  }
  if (adopter) {
    // Its parent from the start, as if the supervisor had started it; linked only until the
    // supervisor adopts it (and monitors it instead), so that it cannot outlive a supervisor
    // that dies first: a link to a dead supervisor delivers the exit signal at once.
    auto handle_of_adopter = to_actor(adopter);
    core->link_to(handle_of_adopter);
    core->set_parent(handle_of_adopter.address());
  } else if (parent && mode == start_link_mode::link) {
    // A supervisor keeps its children in its own table (see server_core::mark_supervisor).
    if (auto* sup = server_core::of(parent); !sup || !sup->is_supervisor())
      parent->link_to(handle);
    core->set_parent(parent->address());
  } else if (parent && mode == start_link_mode::monitor) {
    parent->monitor(handle);
  }
  core->started(std::move(result.next()));
  return server_ref<S>{std::move(self)};
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

/// Out of line: it runs after a call's wait, and its locals would otherwise sit in the frame
/// that waits (a waiting process's frames are what its waiting costs).
template <class R>
[[gnu::noinline]] expected<R, call_error> unbox_reply(expected<caf::message, call_error> response) {
  if (!response)
    return unexpected{std::move(response.error())};
  auto& msg = *response;
  if (msg.size() == 1 && msg.match_element<box<R>>(0))
    return std::move(msg.get_mutable_as<box<R>>(0).value);
  if (msg.size() == 1 && msg.match_element<R>(0))  // from another node
    return std::move(msg.get_mutable_as<R>(0));
  return unexpected{call_error{call_error::kind::badarg}};
}

/// The reply of a call that throws its error (`gen_server::call`). Out of line, and without
/// an `expected<R, call_error>` in the caller's frame: that frame is under the call's wait.
template <class R>
[[gnu::noinline]] R unbox_reply_or_throw(expected<caf::message, call_error> response) {
  return unbox_reply<R>(std::move(response)).value();
}

/// True when `server` runs on another node (its handle is a CAF proxy).
inline bool is_remote(const caf::abstract_actor* server) {
  return server && server->node() != server->home_system().node();
}

inline bool is_remote(const caf::actor& server) {
  return server && is_remote(caf::actor_cast<caf::abstract_actor*>(server));
}

/// The message for a call or cast: boxed with its dispatch locally; bare with a tag for
/// another node, where the server looks the type up in its `remote_requests`.
template <class S, bool Call, class T, class Dest>
caf::message request_message(const Dest& dest, T&& request) {
  using request_type = std::decay_t<T>;
  using tag = std::conditional_t<Call, remote_call_atom, remote_cast_atom>;
  if constexpr (remote_request<S, T>) {
    if (is_remote(dest))
      return caf::make_message(tag::value, request_type{std::forward<T>(request)});
  } else {
    if (is_remote(dest))
      return {};  // not exposed to other nodes: refused as badarg
  }
  if constexpr (Call)
    return caf::make_message(dispatch_ref{&call_dispatch<S, request_type>},
                             box<request_type>{std::forward<T>(request)});
  else
    return caf::make_message(dispatch_ref{&cast_dispatch<S, request_type>},
                             box<request_type>{std::forward<T>(request)});
}

/// A cast's mailbox element. Locally the envelope and the request live in the element itself:
/// one allocation, not two, and a server blocked in a call from its `handle_cast` keeps the
/// cast it handles for the whole wait. Null when the request cannot go to `dest`'s node.
template <class S, class T>
caf::mailbox_element_ptr cast_element(const caf::abstract_actor* dest, caf::strong_actor_ptr sender,
                                      T&& request) {
  using request_type = std::decay_t<T>;
  if (!is_remote(dest))
    return caf::make_mailbox_element(std::move(sender), caf::make_message_id(), {},
                                     dispatch_ref{&cast_dispatch<S, request_type>},
                                     box<request_type>{std::forward<T>(request)});
  auto msg = request_message<S, false>(dest, std::forward<T>(request));
  if (msg.empty())
    return nullptr;
  return caf::make_mailbox_element(std::move(sender), caf::make_message_id(), {}, std::move(msg));
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
  // An empty message (a type the server's node cannot read) is refused as badarg.
  auto dest = to_actor(server);
  return detail::unbox_reply<detail::call_reply_t<S, T>>(
    detail::request(dest, detail::request_message<S, true>(dest, std::forward<T>(request)), t));
}

/// Like `try_call`, but throws the `call_error` — the way an OTP caller exits when a call
/// fails. Thrown inside a callback, it crashes the calling server unless caught.
template <class S, class T>
auto call(const server_ref<S>& server, T&& request, timeout t = default_call_timeout)
  -> detail::call_reply_t<S, T> {
  static_assert(detail::handles_call<S, T>, "the server has no handle_call for this request");
  auto dest = to_actor(server);
  return detail::unbox_reply_or_throw<detail::call_reply_t<S, T>>(
    detail::request(dest, detail::request_message<S, true>(dest, std::forward<T>(request)), t));
}

/// Sends a request without waiting (OTP's `gen_server:cast/2`). Never blocks, and fails only
/// when the server's mailbox is full and its `mailbox_limit` says `fail_sender` (it throws
/// `otp::mailbox_full`); a cast to a dead server is dropped.
template <class S, class T>
void cast(const server_ref<S>& server, T&& request) {
  static_assert(detail::handles_cast<S, T>, "the server has no handle_cast for this request");
  if (!server)
    return;
  auto* self = detail::process_core::current();
  auto* dest = actor_ptr(server);
  auto element = detail::cast_element<S>(dest, self ? caf::strong_actor_ptr{self->ctrl()} : nullptr,
                                         std::forward<T>(request));
  if (!element)
    return;  // a type not exposed to other nodes: dropped, like a cast to a dead server
  detail::clear_send_refusal();
  dest->enqueue(std::move(element), self ? self->context() : nullptr);
  detail::throw_if_send_refused();  // a full mailbox whose policy is fail_sender
}

/// Calls the server without blocking the calling process: `on_reply(expected<R, call_error>)`
/// runs in the calling process when the reply (or the error) arrives. Must be called from a
/// process (OTP's `send_request` + `receive_response`, folded into a callback).
template <class S, class T, class F>
void async_call(const server_ref<S>& server, T&& request, timeout t, F on_reply) {
  static_assert(detail::handles_call<S, T>, "the server has no handle_call for this request");
  using R = detail::call_reply_t<S, T>;
  // (supervisor::async_* come here too.)
  auto* self = &detail::calling_server("gen_server::async_call and supervisor::async_*");
  auto dest = to_actor(server);
  auto msg = detail::request_message<S, true>(dest, std::forward<T>(request));
  if (msg.empty()) {
    auto error = dest ? call_error::kind::badarg : call_error::kind::noproc;
    on_reply(expected<R, call_error>{unexpected{call_error{error}}});
    return;
  }
  bool remote_reply = false;
  if constexpr (detail::remote_request<S, T>)
    remote_reply = detail::is_remote(dest);
  self->request_async(
    dest, std::move(msg), t,
    [on_reply = std::move(on_reply), dest, remote_reply](caf::message& reply) mutable {
      using result = expected<R, call_error>;
      if (reply.match_elements<detail::box<R>>())
        on_reply(result{std::move(reply.get_mutable_as<detail::box<R>>(0).value)});
      else if (remote_reply && reply.match_elements<R>())
        on_reply(result{std::move(reply.get_mutable_as<R>(0))});
      else if (reply.match_elements<caf::error>())
        on_reply(result{unexpected{detail::to_call_error(reply.get_as<caf::error>(0), dest)}});
      else
        on_reply(result{
          unexpected{detail::to_call_error(caf::make_error(caf::sec::unexpected_response), dest)}});
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
