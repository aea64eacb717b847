#include "net/listener_owner.hpp"

#include "net/acceptor.hpp"
#include "otp/caf.hpp"
#include "otp/gen_server.hpp"
#include "otp/logger.hpp"
#include "otp/node.hpp"
#include "otp/process.hpp"
#include "process/server_core.hpp"

#include <algorithm>
#include <chrono>

namespace otp::net::detail {

using otp::detail::server_core;

listener_owner::listener_owner(std::shared_ptr<listener_shared> shared)
  : shared_(std::move(shared)) {}

otp::init_result listener_owner::init() {
  // A restarted owner listens again: its predecessor closed the sockets as it exited.
  for (auto& s : shared_->sockets)
    if (!s->is_open())
      if (auto r = s->reopen(); !r)
        return otp::stop(exit_reason::error(fmt::format("listen socket: {}", r.error())));
  // The connections may have outlived a previous owner (rest_for_one restarts only the
  // owner and the acceptors): count them. Exits reported before the count's reply are not
  // in it (the supervisor answers in order), so they are ignored until it comes.
  connections_sup_ = shared_->parts.connections();
  otp::detail::observe_child_exits(connections_sup_, otp::self());
  supervisor::async_count_children(
    connections_sup_, [this](expected<child_counts, sup_error> c) { counted(c ? c->active : 0); });
  draining_ = make_draining_task(shared_->table);
  return otp::ok();
}

void listener_owner::counted(std::size_t live) {
  counting_ = false;
  connections_ = live;
  refill();
}

void listener_owner::publish() {
  auto& f = shared_->figures;
  f.connections.store(connections_, std::memory_order_relaxed);
  f.free_acceptors.store(free_.size(), std::memory_order_relaxed);
  f.accepted.store(accepted_, std::memory_order_relaxed);
  // Until the count of a restarted owner came, connections_ is not the listener's.
  if (counting_)
    return;
  auto full = connections_ >= shared_->options.max_connections;
  if (full == f.at_limit.full())
    return;
  if (full) {
    f.at_limit.enter(full_time::now());
    f.limit_reached.store(f.limit_reached.load(std::memory_order_relaxed) + 1,
                          std::memory_order_relaxed);
  } else {
    f.at_limit.leave(full_time::now());
  }
}

// -- the pool --------------------------------------------------------------------------------

void listener_owner::handle_cast(const acceptors_ready& r) {
  forget_acceptors();
  acceptors_ = r.sup;
  ++generation_;
  otp::monitor(acceptors_);
  refill();
}

void listener_owner::forget_acceptors() {
  // Their supervisor is gone or replaced, and they with it. Withdraw their accepts still
  // queued in the listen sockets (all are aborted, the living re-arm).
  acceptors_ = {};
  free_.clear();
  accepted_early_.clear();
  for (auto& p : parked_)
    p.clear();
  std::fill(free_per_socket_.begin(), free_per_socket_.end(), 0);
  std::fill(starting_per_socket_.begin(), starting_per_socket_.end(), 0);
  starting_ = 0;
  for (auto& s : shared_->sockets)
    s->cancel();
}

void listener_owner::refill() {
  publish();
  if (counting_ || !acceptors_)
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
  parked_.resize(sockets);
  for (std::size_t i = 0; i < sockets; ++i) {
    auto share = target / sockets + (i < target % sockets ? 1 : 0);
    while (free_per_socket_[i] + starting_per_socket_[i] < share) {
      if (rearm_parked(i))
        continue;
      ++starting_per_socket_[i];
      ++starting_;
      // slot % sockets is the listen socket; the slot also spreads connections over I/O threads.
      auto slot = i + sockets * next_slot_++;
      supervisor::async_start_child(
        acceptors_,
        [this, i, g = generation_](expected<otp::pid, sup_error> child) {
          on_started(g, i, std::move(child));
        },
        slot);
    }
  }
  publish();
}

bool listener_owner::rearm_parked(std::size_t socket) {
  auto& parked = parked_[socket];
  if (parked.empty())
    return false;
  auto p = std::move(parked.back());
  parked.pop_back();
  notify(otp::to_actor(p).address(), rearm_task(), release_parked);
  free_.emplace(std::move(p), socket);
  ++free_per_socket_[socket];
  return true;
}

void listener_owner::on_started(std::uint64_t generation, std::size_t socket,
                                expected<otp::pid, sup_error> child) {
  if (generation != generation_)
    return;  // from a supervisor that is gone: forget_acceptors reset the counts
  --starting_;
  --starting_per_socket_[socket];
  if (!child) {
    // The acceptors' supervisor is stopping (the listener stops) or gone: nothing to retry,
    // its successor announces itself (acceptors_ready).
    if (child.error().what_kind() == sup_error::kind::call_failed)
      return;
    otp::this_node().logger().log(log_level::error, "net_error",
                                  "listener: an acceptor failed to start: {}", child.error());
    if (!refill_pending_) {
      refill_pending_ = true;
      otp::send_after(std::chrono::milliseconds{100}, refill_tick{});
    }
    return;
  }
  // A monitor per waiting acceptor (num_acceptors of them), none per connection.
  otp::monitor(*child);
  if (accepted_early_.erase(*child) == 0) {
    free_.emplace(*child, socket);
    ++free_per_socket_[socket];
  } else {
    parked_[socket].push_back(*child);  // it accepted already and waits to be re-armed
  }
  refill();
}

void listener_owner::handle_cast(const accepted& a) {
  ++accepted_;
  if (auto it = free_.find(a.acceptor); it != free_.end()) {
    --free_per_socket_[it->second];
    parked_[it->second].push_back(a.acceptor);
    free_.erase(it);
  } else {
    accepted_early_.insert(a.acceptor);  // its start reply is still on the way
  }
  if (++connections_ == shared_->options.max_connections)
    ++limit_reached_;
  refill();
}

void listener_owner::handle_cast(const failed_start&) {
  ++failed_starts_;
  connection_gone();
}

void listener_owner::handle_info(const otp::detail::sup_child_exit&) {
  if (!counting_)
    connection_gone();
}

void listener_owner::connection_gone() {
  if (connections_ > 0)
    --connections_;
  if (draining_now_ && connections_ == 0)
    finish_drain(0);
  refill();
}

void listener_owner::handle_info(const otp::down& d) {
  if (d.pid == acceptors_) {
    forget_acceptors();  // the listener restarts it, and it tells us again (acceptors_ready)
    publish();
    return;
  }
  auto it = free_.find(d.pid);
  if (it == free_.end()) {
    forget_parked(d);
    return;
  }
  --free_per_socket_[it->second];
  free_.erase(it);
  if (!d.reason.is_clean())
    ++crashes_;
  // Its accept is still queued in the listen socket: withdraw it (all are aborted, the
  // living re-arm), or the next client would be accepted for a dead process.
  for (auto& s : shared_->sockets)
    s->cancel();
  refill();
}

void listener_owner::forget_parked(const otp::down& d) {
  // A parked acceptor has no accept queued: nothing to withdraw, a replacement is started
  // when there is room for it.
  for (auto& parked : parked_) {
    if (auto it = std::find(parked.begin(), parked.end(), d.pid); it != parked.end()) {
      parked.erase(it);
      if (!d.reason.is_clean())
        ++crashes_;
      refill();
      return;
    }
  }
}

std::vector<otp::pid> listener_owner::connection_pids() const {
  // Asked only when draining: the connections' supervisor never calls the owner.
  std::vector<otp::pid> result;
  if (auto children = supervisor::which_children(connections_sup_)) {
    for (auto& c : *children)
      if (c.pid)
        result.push_back(c.pid);
  }
  return result;
}

void listener_owner::handle_info(const refill_tick&) {
  refill_pending_ = false;
  refill();
}

// -- operations ------------------------------------------------------------------------------

listener_info listener_owner::handle_call(const info_request&) {
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
  info.at_limit = connections_ >= opts.max_connections;
  info.limit_reached = limit_reached_;
  info.failed_starts = failed_starts_;
  info.acceptors = acceptors_;
  info.connections_sup = connections_sup_;
  return info;
}

void listener_owner::close_sockets() {
  for (auto& s : shared_->sockets)
    s->close();
}

listener_owner::outcome listener_owner::handle_call(const suspend_request&) {
  suspended_ = true;
  close_sockets();
  return std::nullopt;
}

listener_owner::outcome listener_owner::handle_call(const resume_request&) {
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
    notify(otp::to_actor(p).address(), rearm_task(), rearm_waiting);
  refill();
  return std::nullopt;
}

otp::call_result<std::size_t> listener_owner::handle_call(const drain_request& r,
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
      notify(otp::to_actor(p).address(), draining_, 0);
    if (r.deadline != infinity)
      otp::send_after(r.deadline, drain_deadline{});
  }
  return otp::noreply();
}

void listener_owner::handle_info(const drain_deadline&) {
  if (!draining_now_ || drain_waiters_.empty())
    return;
  auto remaining = connections_;
  for (auto& p : connection_pids())
    otp::exit(p, exit_reason::shutdown());
  finish_drain(remaining);
}

void listener_owner::finish_drain(std::size_t remaining) {
  for (auto& w : drain_waiters_)
    w.reply(remaining);
  drain_waiters_.clear();
}

void listener_owner::exiting(server_core&, const exit_reason&) {
  close_sockets();
  finish_drain(connections_);
}

child_spec listener_owner_spec(std::shared_ptr<listener_shared> shared) {
  return child_spec{
    .id = "owner",
    .start = start_function{[shared](const extra_args&) -> start_function::result_type {
                              auto r = gen_server::start_link<listener_owner>(shared);
                              if (!r)
                                return unexpected{std::move(r.error())};
                              shared->parts.set_owner(otp::pid{*r});
                              return otp::pid{*r};
                            },
                            "otp::net::listener_owner"},
    .restart = restart::permanent,
  };
}

}  // namespace otp::net::detail
