#include "otp/net/listener.hpp"

#include "net/acceptor.hpp"
#include "net/listener_server.hpp"

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

template <class Request>
auto call_listener(const listener& l, Request request) {
  return gen_server::try_call(server_ref<listener_server>{l.pid()}, std::move(request), infinity);
}

/// Suspend and resume reply an optional error.
template <class Request>
expected<void, net_error> call_for_outcome(const listener& l, Request request) {
  auto r = call_listener(l, std::move(request));
  if (!r)
    return unexpected{from_call_error(r.error())};
  if (*r)
    return unexpected{std::move(**r)};
  return {};
}

}  // namespace

expected<listener, net_error> start_listener(node& n, listener_options opts,
                                             std::shared_ptr<const handler_start> handler,
                                             const handler_table* table) {
  if (auto ok = validate(opts); !ok)
    return unexpected{std::move(ok.error())};
  auto shared = std::make_shared<listener_shared>();
  shared->io = std::make_shared<io_pool>(n.system(), opts.io_threads);
  shared->io->limit_buffered(opts.max_buffered);
  listen_config cfg{opts.backlog, opts.reuse_port || opts.num_listen_sockets > 1, opts.socket_mode};
  auto where = opts.address;
  for (std::size_t i = 0; i < opts.num_listen_sockets; ++i) {
    auto s = listen_socket::open(shared->io->at(i), where, cfg);
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
  auto server = gen_server::start_link<listener_server>(n, start_options{.name = std::move(name)},
                                                        std::move(shared));
  if (!server)
    return unexpected{net_error{net_error::kind::system, fmt::format("{}", server.error())}};
  return listener{otp::pid{*server}, std::move(bound)};
}

}  // namespace detail

expected<void, net_error> stop_listener(const listener& l) {
  auto r = gen_server::stop(l.pid(), exit_reason::shutdown());
  if (!r)
    return unexpected{detail::from_call_error(r.error())};
  return {};
}

expected<std::size_t, net_error> drain(const listener& l, timeout deadline) {
  auto r = detail::call_listener(l, detail::listener_server::drain_request{deadline});
  if (!r)
    return unexpected{detail::from_call_error(r.error())};
  return *r;
}

expected<void, net_error> suspend(const listener& l) {
  return detail::call_for_outcome(l, detail::listener_server::suspend_request{});
}

expected<void, net_error> resume(const listener& l) {
  return detail::call_for_outcome(l, detail::listener_server::resume_request{});
}

expected<listener_info, net_error> info(const listener& l) {
  auto r = detail::call_listener(l, detail::listener_server::info_request{});
  if (!r)
    return unexpected{detail::from_call_error(r.error())};
  return std::move(*r);
}

}  // namespace otp::net
