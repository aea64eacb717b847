#pragma once

#include "net/listener_shared.hpp"
#include "otp/callback_result.hpp"
#include "otp/from.hpp"
#include "otp/messages.hpp"
#include "otp/pid.hpp"
#include "otp/supervisor.hpp"
#include "otp/types.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace otp::net::detail {

/// The socket server of the seeds: owns the listen sockets, keeps `num_acceptors` acceptors
/// waiting under its acceptors' supervisor, counts connections, enforces `max_connections`.
class listener_server {
 public:
  /// Cast by an acceptor that accepted a connection.
  struct accepted {
    otp::pid acceptor;
  };
  struct info_request {};
  struct suspend_request {};
  struct resume_request {};
  struct drain_request {
    timeout deadline;
  };
  /// The reply of suspend and resume: empty on success.
  using outcome = std::optional<net_error>;

  struct drain_deadline {};
  struct refill_tick {};
  using info_types = otp::types<drain_deadline, refill_tick, otp::detail::sup_child_exit>;

  explicit listener_server(std::shared_ptr<listener_shared> shared);

  otp::init_result init();
  void handle_cast(const accepted& a);
  listener_info handle_call(const info_request&);
  outcome handle_call(const suspend_request&);
  outcome handle_call(const resume_request&);
  otp::call_result<std::size_t> handle_call(const drain_request& r, otp::from<std::size_t> from);
  void handle_info(const otp::down& d);
  void handle_info(const otp::detail::sup_child_exit& e);
  otp::cast_result handle_info(const otp::exit_signal& e);
  void handle_info(const drain_deadline&);
  void handle_info(const refill_tick&);
  bool defer_stop(const exit_reason& reason);
  /// Any exit, kill included: close the listen sockets now, so that a restarted listener can
  /// bind the same address while the old acceptors are still being stopped.
  void exiting(otp::detail::server_core& self, const exit_reason& reason);

 private:
  void refill();
  void on_started(std::size_t socket, expected<otp::pid, sup_error> child);
  void close_sockets();
  void finish_drain(std::size_t remaining);
  std::vector<otp::pid> connection_pids() const;

  std::shared_ptr<listener_shared> shared_;
  std::shared_ptr<otp::detail::process_task> draining_;
  sup_ref acceptors_;
  std::unordered_map<otp::pid, std::size_t> free_;  // waiting acceptor -> its listen socket
  // A count, not a set: the listener learns of exits from the acceptors' supervisor
  // (observe_child_exits), which watches every child anyway. A set and a monitor of its own
  // cost ~90 bytes per connection.
  std::size_t connections_ = 0;
  std::unordered_set<otp::pid> accepted_early_;  // accepted before its start was confirmed
  std::vector<std::size_t> free_per_socket_;
  std::vector<std::size_t> starting_per_socket_;
  std::size_t starting_ = 0;
  std::size_t next_slot_ = 0;
  std::uint64_t accepted_ = 0;
  std::uint64_t crashes_ = 0;
  bool suspended_ = false;
  bool draining_now_ = false;
  bool refill_pending_ = false;
  std::vector<otp::from<std::size_t>> drain_waiters_;
  std::optional<exit_reason> stopping_;
};

}  // namespace otp::net::detail
