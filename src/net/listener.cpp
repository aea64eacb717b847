#include "otp/net/listener.hpp"

#include "net/acceptors_sup.hpp"
#include "net/connections_sup.hpp"
#include "net/listener_owner.hpp"
#include "otp/process.hpp"

#include <fmt/format.h>

namespace otp::net {

namespace detail {

namespace {

expected<void, net_error> validate(const listener_options& o) {
  auto bad = [](std::string what) {
    return unexpected{net_error{net_error::kind::bad_option, std::move(what)}};
  };
  if (o.num_acceptors == 0)
    return bad("num_acceptors must be at least 1");
  if (o.max_connections == 0)
    return bad("max_connections must be at least 1");
  if (o.num_listen_sockets == 0 || o.num_listen_sockets > 64)
    return bad(fmt::format("num_listen_sockets {} (1 to 64)", o.num_listen_sockets));
  if (o.address.is_local() && o.num_listen_sockets > 1)
    return bad("num_listen_sockets > 1 needs TCP (SO_REUSEPORT)");
  if (o.io_threads == 0 || o.io_threads > 64)
    return bad(fmt::format("io_threads {} (1 to 64)", o.io_threads));
  if (o.backlog <= 0)
    return bad(fmt::format("backlog {}", o.backlog));
  if (o.socket_mode > 0777)
    return bad(fmt::format("socket_mode {:o}", o.socket_mode));
  if (o.idle_timeout.count() <= 0)
    return bad("idle_timeout must be positive");
  if (o.frame_timeout.count() <= 0)
    return bad("frame_timeout must be positive");
  if (o.max_buffered == 0)
    return bad("max_buffered must be positive");
  if (o.linger.count() < 0)
    return bad("linger must not be negative");
  return net::validate(o.framing);
}

net_error from_call_error(const call_error& e) {
  return net_error{net_error::kind::closed, fmt::format("listener: {}", e)};
}

/// The listener's owner, found among the listener supervisor's children (it is restarted
/// with a new pid, so a listener handle does not keep it).
expected<otp::pid, net_error> owner_of(const listener& l) {
  auto children = supervisor::which_children(sup_ref{l.pid()});
  if (!children)
    return unexpected{
      net_error{net_error::kind::closed, fmt::format("listener: {}", children.error())}};
  for (auto& c : *children)
    if (c.id == "owner" && c.pid)
      return c.pid;
  return unexpected{net_error{net_error::kind::closed, "listener: its owner is restarting"}};
}

template <class Request>
auto call_listener(const listener& l, Request request)
  -> expected<decltype(gen_server::call(server_ref<listener_owner>{}, request)), net_error> {
  auto owner = owner_of(l);
  if (!owner)
    return unexpected{std::move(owner.error())};
  auto r = gen_server::try_call(server_ref<listener_owner>{*owner}, std::move(request), infinity);
  if (!r)
    return unexpected{from_call_error(r.error())};
  return std::move(*r);
}

/// Suspend and resume reply an optional error.
template <class Request>
expected<void, net_error> call_for_outcome(const listener& l, Request request) {
  auto r = call_listener(l, std::move(request));
  if (!r)
    return unexpected{std::move(r.error())};
  if (*r)
    return unexpected{std::move(**r)};
  return {};
}

/// Opens a listen socket; `wait_for_address`: waits (parked, up to a second) for a predecessor
/// that is still exiting to release the address.
expected<std::shared_ptr<listen_socket>, net_error> open_socket(boost::asio::io_context& io,
                                                                const endpoint& where,
                                                                const listen_config& cfg,
                                                                bool wait_for_address) {
  auto s = listen_socket::open(io, where, cfg);
  for (int i = 0;
       wait_for_address && i < 100 && !s && s.error().what == net_error::kind::address_in_use;
       ++i) {
    otp::sleep(timeout{10});
    s = listen_socket::open(io, where, cfg);
  }
  return s;
}

expected<sup_ref, start_error> start_subtree(node& n, std::string name,
                                             std::shared_ptr<listener_shared> shared) {
  // rest_for_one, connections first: a new owner recounts the live connections, new acceptors
  // follow a new owner, and everything restarts after the connections' supervisor. Stopping
  // runs backwards: the acceptors, the owner (closing the listen sockets), the connections.
  auto children = std::vector<child_spec>{connections_sup_spec(shared), listener_owner_spec(shared),
                                          acceptors_sup_spec(shared)};
  return supervisor::start_link(n, start_options{.name = std::move(name)},
                                sup_flags{.strategy = strategy::rest_for_one}, std::move(children));
}

}  // namespace

expected<listener, net_error> start_listener(node& n, listener_options opts,
                                             std::shared_ptr<const handler_start> handler,
                                             const handler_table* table, bool wait_for_address) {
  if (auto ok = validate(opts); !ok)
    return unexpected{std::move(ok.error())};
  auto shared = std::make_shared<listener_shared>();
  shared->io = std::make_shared<io_pool>(n.system(), opts.io_threads);
  shared->io->limit_buffered(opts.max_buffered);
  listen_config cfg{opts.backlog, opts.reuse_port || opts.num_listen_sockets > 1, opts.socket_mode};
  auto where = opts.address;
  for (std::size_t i = 0; i < opts.num_listen_sockets; ++i) {
    auto s = open_socket(shared->io->at(i), where, cfg, wait_for_address);
    if (!s)
      return unexpected{std::move(s.error())};
    if (i == 0 && !where.is_local())
      where = endpoint::tcp(where.address(), (*s)->bound().port());  // the others share it
    shared->sockets.push_back(std::move(*s));
  }
  shared->connection = connection_options{opts.framing, opts.idle_timeout, opts.frame_timeout,
                                          opts.send_queue_limit, opts.linger};
  shared->handler = std::move(handler);
  shared->table = table;
  auto name = opts.name;
  shared->options = std::move(opts);
  auto bound = shared->sockets.front()->bound();
  shared->reporting.emplace(n, *shared, name.empty() ? to_string(bound) : name);
  auto sup = start_subtree(n, std::move(name), std::move(shared));
  if (!sup)
    return unexpected{net_error{net_error::kind::system, fmt::format("{}", sup.error())}};
  return listener{otp::pid{*sup}, std::move(bound)};
}

}  // namespace detail

expected<void, net_error> stop_listener(const listener& l) {
  auto r = gen_server::stop(l.pid(), exit_reason::shutdown());
  if (!r)
    return unexpected{detail::from_call_error(r.error())};
  return {};
}

expected<std::size_t, net_error> drain(const listener& l, timeout deadline) {
  return detail::call_listener(l, detail::listener_owner::drain_request{deadline});
}

expected<void, net_error> suspend(const listener& l) {
  return detail::call_for_outcome(l, detail::listener_owner::suspend_request{});
}

expected<void, net_error> resume(const listener& l) {
  return detail::call_for_outcome(l, detail::listener_owner::resume_request{});
}

expected<listener_info, net_error> info(const listener& l) {
  return detail::call_listener(l, detail::listener_owner::info_request{});
}

}  // namespace otp::net
