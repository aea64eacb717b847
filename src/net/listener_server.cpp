#include "net/listener_server.hpp"

#include "net/acceptor.hpp"
#include "otp/detail/server_core.hpp"
#include "otp/logger.hpp"
#include "otp/node.hpp"
#include "otp/process.hpp"

#include <algorithm>
#include <chrono>

namespace otp::net::detail {

using otp::detail::server_core;

listener_server::listener_server(std::shared_ptr<listener_shared> shared)
  : shared_(std::move(shared)) {}

otp::init_result listener_server::init() {
  // The acceptors' supervisor is linked: its exit stops the listener, the listener's stop
  // waits for it (defer_stop), so connections are gone when the listener has exited.
  otp::trap_exit(true);
  auto& opts = shared_->options;
  child_spec acceptor_spec{
    .id = "acceptor",
    .start = otp::start_with<acceptor, std::size_t>(shared_, otp::self()),
    .restart = restart::temporary,
    .shutdown = shutdown_spec{opts.shutdown},
  };
  auto sup = supervisor::start_link(sup_flags{.strategy = strategy::simple_one_for_one},
                                    {std::move(acceptor_spec)});
  if (!sup)
    return otp::stop(exit_reason::error(fmt::format("acceptors' supervisor: {}", sup.error())));
  acceptors_ = *sup;
  otp::monitor(acceptors_);
  otp::detail::observe_child_exits(acceptors_, otp::self());
  draining_ = make_draining_task(shared_->table);
  refill();
  return otp::ok();
}

// -- the pool --------------------------------------------------------------------------------

void listener_server::refill() {
  if (stopping_ || !acceptors_)
    return;
  std::size_t target = 0;
  if (!suspended_ && !draining_now_) {
    auto& opts = shared_->options;
    auto room = opts.max_connections > connections_ ? opts.max_connections - connections_ : 0;
    target = std::min(opts.num_acceptors, room);
  }
  // connections + free + starting never exceeds max_connections: each waiting acceptor
  // accepts at most one connection, so the limit is exact. The acceptors are spread evenly
  // over the listen sockets: with SO_REUSEPORT the kernel picks the socket, and a socket
  // without an acceptor would leave its clients waiting.
  auto sockets = shared_->sockets.size();
  free_per_socket_.resize(sockets);
  starting_per_socket_.resize(sockets);
  for (std::size_t i = 0; i < sockets; ++i) {
    auto share = target / sockets + (i < target % sockets ? 1 : 0);
    while (free_per_socket_[i] + starting_per_socket_[i] < share) {
      ++starting_per_socket_[i];
      ++starting_;
      // slot % sockets is the listen socket; the slot also spreads connections over I/O threads.
      auto slot = i + sockets * next_slot_++;
      supervisor::async_start_child(
        acceptors_,
        [this, i](expected<otp::pid, sup_error> child) { on_started(i, std::move(child)); }, slot);
    }
  }
}

void listener_server::on_started(std::size_t socket, expected<otp::pid, sup_error> child) {
  --starting_;
  --starting_per_socket_[socket];
  if (!child) {
    if (!stopping_) {
      otp::this_node().logger().log(log_level::error, "net_error",
                                    "listener: an acceptor failed to start: {}", child.error());
      if (!refill_pending_) {
        refill_pending_ = true;
        otp::send_after(std::chrono::milliseconds{100}, refill_tick{});
      }
    }
    return;
  }
  // Its exit will come as a sup_child_exit, after this reply: both are the supervisor's.
  if (accepted_early_.erase(*child) == 0) {
    free_.emplace(*child, socket);
    ++free_per_socket_[socket];
  }
  refill();
}

void listener_server::handle_cast(const accepted& a) {
  ++accepted_;
  if (auto it = free_.find(a.acceptor); it != free_.end()) {
    --free_per_socket_[it->second];
    free_.erase(it);
  } else {
    accepted_early_.insert(a.acceptor);  // its start reply is still on the way
  }
  ++connections_;
  refill();
}

void listener_server::handle_info(const otp::down& d) {
  if (d.pid == acceptors_) {
    acceptors_ = {};
    if (stopping_)
      server_core::current()->complete_stop(*stopping_);
  }
}

void listener_server::handle_info(const otp::detail::sup_child_exit& e) {
  // A child is a waiting acceptor (in free_: its start reply came before this) or else a
  // connection (its `accepted` was cast before it could exit).
  if (auto it = free_.find(e.child); it != free_.end()) {
    --free_per_socket_[it->second];
    free_.erase(it);
    if (!e.reason.is_clean())
      ++crashes_;
    // Its accept is still queued in the listen socket: withdraw it (all are aborted, the
    // living re-arm), or the next client would be accepted for a dead process.
    for (auto& s : shared_->sockets)
      s->cancel();
  } else if (connections_ > 0) {
    --connections_;
    if (draining_now_ && connections_ == 0)
      finish_drain(0);
  }
  refill();
}

std::vector<otp::pid> listener_server::connection_pids() const {
  // Asked of the supervisor only when draining: the acceptors' supervisor never calls the
  // listener, so this cannot deadlock.
  std::vector<otp::pid> result;
  if (!acceptors_)
    return result;
  if (auto children = supervisor::which_children(acceptors_)) {
    for (auto& c : *children)
      if (c.pid && !free_.contains(c.pid))
        result.push_back(c.pid);
  }
  return result;
}

otp::cast_result listener_server::handle_info(const otp::exit_signal& e) {
  if (e.from == acceptors_)
    return otp::stop(e.reason);
  return otp::noreply();
}

void listener_server::handle_info(const refill_tick&) {
  refill_pending_ = false;
  refill();
}

// -- operations ------------------------------------------------------------------------------

listener_info listener_server::handle_call(const info_request&) {
  auto& opts = shared_->options;
  listener_info info;
  info.address = shared_->sockets.front()->bound();
  info.connections = connections_;
  info.free_acceptors = free_.size();
  info.num_acceptors = opts.num_acceptors;
  info.max_connections = opts.max_connections;
  info.listen_sockets = shared_->sockets.size();
  info.suspended = suspended_;
  info.draining = draining_now_;
  info.accepted = accepted_;
  info.accept_errors = shared_->accept_errors.load(std::memory_order_relaxed);
  info.acceptor_crashes = crashes_;
  info.acceptors = acceptors_;
  return info;
}

void listener_server::close_sockets() {
  for (auto& s : shared_->sockets)
    s->close();
}

listener_server::outcome listener_server::handle_call(const suspend_request&) {
  suspended_ = true;
  close_sockets();
  return std::nullopt;
}

listener_server::outcome listener_server::handle_call(const resume_request&) {
  if (!suspended_ && !draining_now_)
    return std::nullopt;
  for (auto& s : shared_->sockets) {
    if (auto r = s->reopen(); !r) {
      close_sockets();
      return r.error();
    }
  }
  suspended_ = false;
  draining_now_ = false;
  for (auto& [p, socket] : free_)
    notify(p.actor().address(), rearm_task(), 0);
  refill();
  return std::nullopt;
}

otp::call_result<std::size_t> listener_server::handle_call(const drain_request& r,
                                                           otp::from<std::size_t> from) {
  close_sockets();
  bool first = !draining_now_ || drain_waiters_.empty();
  draining_now_ = true;
  drain_waiters_.push_back(std::move(from));
  if (connections_ == 0) {
    finish_drain(0);
    return otp::noreply();
  }
  if (first) {
    for (auto& p : connection_pids())
      notify(p.actor().address(), draining_, 0);
    if (r.deadline != infinity)
      otp::send_after(r.deadline, drain_deadline{});
  }
  return otp::noreply();
}

void listener_server::handle_info(const drain_deadline&) {
  if (!draining_now_ || drain_waiters_.empty())
    return;
  auto remaining = connections_;
  for (auto& p : connection_pids())
    otp::exit(p, exit_reason::shutdown());
  finish_drain(remaining);
}

void listener_server::finish_drain(std::size_t remaining) {
  for (auto& w : drain_waiters_)
    w.reply(remaining);
  drain_waiters_.clear();
}

bool listener_server::defer_stop(const exit_reason& reason) {
  stopping_ = reason;
  close_sockets();
  finish_drain(connections_);
  if (!acceptors_)
    return false;
  otp::exit(acceptors_, exit_reason::shutdown());
  return true;
}

}  // namespace otp::net::detail

namespace otp::net::detail {

void listener_server::exiting(server_core&, const exit_reason&) {
  close_sockets();
}

}  // namespace otp::net::detail
