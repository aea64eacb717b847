#pragma once

#include "net/listener_shared.hpp"
#include "otp/callback_result.hpp"
#include "otp/child_spec.hpp"
#include "otp/detail/special_process.hpp"
#include "otp/from.hpp"
#include "otp/messages.hpp"
#include "otp/pid.hpp"
#include "otp/supervisor.hpp"
#include "otp/types.hpp"
#include "supervision/child_exits.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace otp::net::detail {

/// The listener's second child, the listen sockets' owner (the acceptor pool's pool process):
/// keeps `num_acceptors` acceptors waiting under the acceptors' supervisor, re-arms each that
/// accepted (or starts one when an acceptor is gone), counts connections and enforces
/// `max_connections`.
/// It counts the connections' exits through their supervisor (observe_child_exits) rather
/// than a monitor of its own on each.
class listener_owner : public otp::detail::special_process {
 public:
  /// Cast by an acceptor that accepted a connection, before it starts the connection's
  /// handler (the owner re-arms it meanwhile); it waits to be re-armed.
  struct accepted {
    otp::pid acceptor;
  };
  /// Cast by the acceptor after `accepted` when the handler did not start (its init stopped,
  /// threw or ignored): the connection is closed, count it out.
  struct failed_start {};
  /// Cast by the acceptors' supervisor's start function: the pool can be filled.
  struct acceptors_ready {
    sup_ref sup;
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

  explicit listener_owner(std::shared_ptr<listener_shared> shared);

  otp::init_result init();
  void handle_cast(const accepted& a);
  void handle_cast(const failed_start&);
  void handle_cast(const acceptors_ready& r);
  listener_info handle_call(const info_request&);
  outcome handle_call(const suspend_request&);
  outcome handle_call(const resume_request&);
  otp::call_result<std::size_t> handle_call(const drain_request& r, otp::from<std::size_t> from);
  void handle_info(const otp::down& d);
  void handle_info(const otp::detail::sup_child_exit& e);
  void handle_info(const drain_deadline&);
  void handle_info(const refill_tick&);
  /// Any exit, kill included: close the listen sockets now, so that the connections'
  /// shutdown (next in the listener's stop) happens with new clients already refused, and a
  /// restarted listener can bind the same address.
  void exiting(otp::detail::server_core& self, const exit_reason& reason) override;

 private:
  void counted(std::size_t live);
  void connection_gone();
  void refill();
  void on_started(std::uint64_t generation, std::size_t socket,
                  expected<otp::pid, sup_error> child);
  void forget_acceptors();
  /// Arms a parked acceptor of listen socket `socket`, if one waits: true if it did.
  bool rearm_parked(std::size_t socket);
  void forget_parked(const otp::down& d);
  /// Copies the counts where the observer reads them (listener_shared::figures).
  void publish();
  void close_sockets();
  void finish_drain(std::size_t remaining);
  std::vector<otp::pid> connection_pids() const;

  std::shared_ptr<listener_shared> shared_;
  std::shared_ptr<otp::detail::process_task> draining_;
  sup_ref connections_sup_;
  sup_ref acceptors_;
  std::uint64_t generation_ = 0;  // of acceptors_: replies for an older one are stale
  std::unordered_map<otp::pid, std::size_t> free_;  // waiting acceptor -> its listen socket
  std::unordered_set<otp::pid> accepted_early_;     // accepted before its start was confirmed
  // Acceptors that accepted and wait to be re-armed, per listen socket.
  std::vector<std::vector<otp::pid>> parked_;
  std::vector<std::size_t> free_per_socket_;
  std::vector<std::size_t> starting_per_socket_;
  std::size_t connections_ = 0;
  std::size_t starting_ = 0;
  std::size_t next_slot_ = 0;
  std::uint64_t accepted_ = 0;
  std::uint64_t crashes_ = 0;
  std::uint64_t limit_reached_ = 0;
  std::uint64_t failed_starts_ = 0;
  bool counting_ = true;  // until the connections' supervisor said how many live
  bool suspended_ = false;
  bool draining_now_ = false;
  bool refill_pending_ = false;
  std::vector<otp::from<std::size_t>> drain_waiters_;
};

/// The owner's child spec; its start function records the owner in `shared->parts`.
child_spec listener_owner_spec(std::shared_ptr<listener_shared> shared);

}  // namespace otp::net::detail
