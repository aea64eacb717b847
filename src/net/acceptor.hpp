#pragma once

#include "net/accept_backoff.hpp"
#include "net/listener_shared.hpp"
#include "otp/pid.hpp"
#include "process/process_task.hpp"

#include <memory>
#include <optional>

namespace otp::net::detail {

/// The result of one accept, written by the I/O thread, read by the acceptor process. Holds
/// nothing of the listener, so that dropping it on an I/O thread releases only the socket.
struct accept_slot {
  boost::system::error_code error;
  std::optional<stream_socket> socket;
};

/// An acceptor's work, run in its process, in a loop: accept one connection, start its handler
/// (the handler's init runs here, on this process's stack), tell the owner, hand the handler to
/// the connections' supervisor, and wait until the owner re-arms it (`rearm_task`): the owner
/// keeps `max_connections` exact by re-arming only as many acceptors as there is room for.
class accept_task final : public otp::detail::process_task,
                          public std::enable_shared_from_this<accept_task> {
 public:
  enum event : std::uint32_t { accepted = 1, rearm };

  accept_task(std::shared_ptr<listener_shared> shared, std::size_t slot)
    : shared_(std::move(shared)),
      owner_(shared_->parts.owner()),
      connections_(shared_->parts.connections()),
      slot_(slot) {}

  /// Starts an accept unless one is pending, the listen socket is closed (suspended), or this
  /// acceptor accepted and waits for the owner's `release`.
  void arm(otp::detail::process_core& self);
  /// The owner counted this acceptor's last connection and has room for one more: arm.
  void release(otp::detail::process_core& self);
  void run(otp::detail::process_core& self, std::uint32_t event) override;

 private:
  void hand_over(otp::detail::process_core& self, stream_socket peer);
  void back_off(otp::detail::process_core& self, const boost::system::error_code& error);

  std::shared_ptr<listener_shared> shared_;
  // The owner and the connections' supervisor when this acceptor started: the acceptors are
  // restarted after either (rest_for_one), so these stay valid for its life.
  otp::pid owner_;
  sup_ref connections_;
  std::size_t slot_;
  std::shared_ptr<accept_slot> result_;
  accept_backoff backoff_;
  bool armed_ = false;
  // Accepted and not yet released by the owner: a rearm meant for waiting acceptors (resume)
  // that crosses the `accepted` cast must not arm it, or the owner would not count it.
  bool parked_ = false;
};

/// The acceptor process's gen_server: a child of the acceptors' supervisor.
class acceptor {
 public:
  acceptor(std::shared_ptr<listener_shared> shared, std::size_t slot);
  void init();
  void rearm(otp::detail::process_core& self) { task_->arm(self); }
  void release(otp::detail::process_core& self) { task_->release(self); }

 private:
  std::shared_ptr<accept_task> task_;
};

/// The events of `rearm_task`.
enum rearm_event : std::uint32_t {
  /// To every waiting acceptor when the listener resumes: arm again (unless parked).
  rearm_waiting = 0,
  /// To an acceptor that accepted, from the owner that counted the connection: arm.
  release_parked = 1,
};

/// Arms an acceptor (`rearm_event`). Stateless and shared.
std::shared_ptr<otp::detail::process_task> rearm_task();

/// Sent to every connection when the listener drains: delivers `net::draining`.
std::shared_ptr<otp::detail::process_task> make_draining_task(const handler_table* table);

}  // namespace otp::net::detail
