#pragma once

// A socket server in Erlang's acceptor-pool design, with Ranch's parts: each listener is a
// supervision subtree.
//
//   listener              rest_for_one supervisor (listener::pid())
//     ├─ connections      simple_one_for_one: one handler process per connection
//     ├─ owner            gen_server: the listen sockets, the count, max_connections
//     └─ acceptors        simple_one_for_one: num_acceptors acceptors waiting
//          acceptor ── accepts ──> starts handler H with the socket (its init runs here),
//                      ├─> casts `accepted` to the owner, which counts it and re-arms it
//                      └─> hands H to `connections`, which adopts it
//
// A handler is a gen_server class whose `init` (or constructor) takes an `otp::net::socket`
// first, then the extra arguments given to `start_listener`. Socket events arrive in its
// `handle_info` overloads for `net::data`, `net::closed`, `net::error`, `net::passive` and
// `net::draining`; it can also be called and cast to like any gen_server.

#include "otp/call_error.hpp"
#include "otp/callback_result.hpp"
#include "otp/child_spec.hpp"
#include "otp/detail/server_impl.hpp"
#include "otp/expected.hpp"
#include "otp/gen_server.hpp"
#include "otp/net/endpoint.hpp"
#include "otp/net/listener_options.hpp"
#include "otp/net/messages.hpp"
#include "otp/net/net_error.hpp"
#include "otp/net/socket.hpp"
#include "otp/node.hpp"
#include "otp/pid.hpp"
#include "otp/start_error.hpp"
#include "otp/supervisor.hpp"
#include "otp/timeout.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <tuple>
#include <utility>

namespace otp::net {

/// A running listener.
class listener {
 public:
  listener() = default;
  listener(otp::pid p, endpoint bound) : pid_(std::move(p)), address_(std::move(bound)) {}

  const otp::pid& pid() const noexcept { return pid_; }
  /// The bound address: the port is the real one when 0 was asked for.
  const endpoint& address() const noexcept { return address_; }
  std::uint16_t port() const noexcept { return address_.port(); }

 private:
  otp::pid pid_;
  endpoint address_;
};

/// A listener's figures (Ranch's `info/1`), from `info(listener)`. The counts are the owner's
/// (the gen_server that holds the listen sockets) and consistent with each other:
/// `connections + free_acceptors <= max_connections` at every moment.
struct listener_info {
  endpoint address;
  /// Live connections: accepted, and their handler has not exited yet.
  std::size_t connections = 0;
  /// Acceptors waiting for a connection: `min(num_acceptors, max_connections - connections)`
  /// once the pool has settled, 0 while suspended or draining.
  std::size_t free_acceptors = 0;
  std::size_t num_acceptors = 0;
  std::size_t max_connections = 0;
  std::size_t listen_sockets = 0;
  bool suspended = false;
  bool draining = false;
  /// The pool is at `max_connections`: no acceptor waits, new clients are held in the
  /// kernel's backlog (or refused by it once the backlog is full).
  bool at_limit = false;
  std::uint64_t accepted = 0;       // connections accepted since the owner started
  std::uint64_t accept_errors = 0;  // failed accepts (EMFILE, ENFILE, ...)
  std::uint64_t acceptor_crashes = 0;
  /// Times an accept filled the last place: from then on clients were held in the backlog
  /// until a connection closed.
  std::uint64_t limit_reached = 0;
  /// Connections accepted whose handler failed to start (its `init` stopped or threw).
  std::uint64_t failed_starts = 0;
  /// The acceptors' supervisor (a simple_one_for_one of the waiting acceptors).
  sup_ref acceptors;
  /// The connections' supervisor (a simple_one_for_one of the connections' handlers).
  sup_ref connections_sup;
};

namespace detail {

using otp::detail::process_core;

/// The socket events delivered to the process that owns a socket: to a handler of type H
/// (generated per handler type), or to any process's mailbox.
struct handler_table {
  bool (*data)(process_core&, net::data&);
  bool (*closed)(process_core&, net::closed&);
  bool (*error)(process_core&, net::error&);
  bool (*passive)(process_core&, net::passive&);
  bool (*draining)(process_core&, net::draining&);
  bool (*send_queue_empty)(process_core&, net::send_queue_empty&);
};

template <class H, class T>
bool deliver(process_core& process, T& msg) {
  if constexpr (requires(H & h) { h.handle_info(msg); }) {
    auto& core = otp::detail::server_of(process);  // a handler is a gen_server
    auto& user = *static_cast<H*>(otp::detail::callbacks_of(core).state());
    otp::detail::finish(core, otp::detail::to_cast_result([&] { return user.handle_info(msg); }));
    return true;
  } else {
    (void)process;
    (void)msg;
    return false;
  }
}

template <class H>
inline constexpr handler_table handler_table_for{
  &deliver<H, net::data>,    &deliver<H, net::closed>,   &deliver<H, net::error>,
  &deliver<H, net::passive>, &deliver<H, net::draining>, &deliver<H, net::send_queue_empty>,
};

/// Makes `sock` deliver its events through `table` to the process that runs it.
void attach(socket& sock, const handler_table* table);

/// A socket on its way to a new handler process: it becomes the handler's `otp::net::socket`
/// inside that process (the conversion attaches it there, before the handler's `init` runs).
struct socket_handoff {
  socket sock;
  const handler_table* table;
  operator socket() && {  // NOLINT(google-explicit-constructor): the handler's parameter
    attach(sock, table);
    return std::move(sock);
  }
};

/// Starts a connection's handler process with the accepted socket, for the connections'
/// supervisor `sup` (the second argument), on the calling acceptor's stack.
using handler_start = std::function<expected<otp::pid, start_error>(socket, const otp::pid&)>;

template <class H, class... Args>
std::shared_ptr<const handler_start> make_handler_start(Args... args) {
  return std::make_shared<const handler_start>(
    [args = std::make_tuple(std::move(args)...)](
      socket sock, const otp::pid& sup) -> expected<otp::pid, start_error> {
      return std::apply(
        [&](const auto&... xs) -> expected<otp::pid, start_error> {
          auto r = otp::detail::start_for<H>(
            sup, socket_handoff{std::move(sock), &handler_table_for<H>}, xs...);
          if (!r)
            return unexpected{std::move(r.error())};
          return otp::pid{*r};
        },
        args);
    });
}

/// Starts the listener's subtree; `wait_for_address`: a predecessor killed a moment ago may
/// still hold the address (wait up to a second rather than fail with `address_in_use`).
expected<listener, net_error> start_listener(node& n, listener_options opts,
                                             std::shared_ptr<const handler_start> handler,
                                             const handler_table* table, bool wait_for_address);

}  // namespace detail

/// Opens the listen sockets and starts the listener's subtree (the supervisor at the top of the
/// picture above); its acceptors start right after. Called inside a process (a supervisor's start
/// function), the listener is linked to it. Errors: `address_in_use`, `bad_address`, `bad_option`
/// (with the option), `system`.
template <class H, class... Args>
expected<listener, net_error> start_listener(node& n, listener_options opts, Args... handler_args) {
  return detail::start_listener(n, std::move(opts),
                                detail::make_handler_start<H>(std::move(handler_args)...),
                                &detail::handler_table_for<H>, false);
}

/// A child spec that starts the listener in a supervision tree: a supervisor child (shutdown
/// `infinity`: the listener's own children stop with their shutdowns). Its start waits up to a
/// second for an address in use, which a predecessor killed a moment ago may still hold.
template <class H, class... Args>
child_spec listener_spec(std::string id, listener_options opts, Args... handler_args);

/// Stops the listener's subtree in reverse start order: the acceptors (killed), the owner
/// (closes the listen sockets: new clients are refused), then every connection (exit
/// `shutdown`, killed after `listener_options::shutdown`). Errors: `not_running`-like `closed`.
expected<void, net_error> stop_listener(const listener& l);

/// Graceful stop: closes the listen sockets, sends `net::draining` to every connection, waits
/// until they have all closed or `deadline` passed, stops the rest, then stops the listener.
/// Returns the number of connections that were still open at the deadline.
expected<std::size_t, net_error> drain(const listener& l, timeout deadline);

/// Stops accepting without touching live connections: the listen sockets are closed, so new
/// clients are refused. `resume` listens again on the same address and port.
expected<void, net_error> suspend(const listener& l);
expected<void, net_error> resume(const listener& l);

/// The listener's figures (`listener_info`), asked of its owner. Errors: `closed` when the
/// listener is gone or its owner is restarting.
expected<listener_info, net_error> info(const listener& l);

// -- inline implementations ------------------------------------------------------------------

template <class H, class... Args>
child_spec listener_spec(std::string id, listener_options opts, Args... handler_args) {
  auto handler = detail::make_handler_start<H>(std::move(handler_args)...);
  return child_spec{
    .id = std::move(id),
    .start =
      start_function{
        [opts = std::move(opts), handler](const otp::extra_args&) -> start_function::result_type {
          auto& n = otp::detail::node_of_current();
          auto l = detail::start_listener(n, opts, handler, &detail::handler_table_for<H>, true);
          if (!l)
            return unexpected{start_error{start_error::kind::init_failed,
                                          exit_reason::error(to_string(l.error()))}};
          return l->pid();
        },
        "otp::net::listener"},
    .restart = restart::permanent,
    .shutdown = shutdown_spec{infinity},
    .type = child_type::supervisor,
  };
}

}  // namespace otp::net
