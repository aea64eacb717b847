#pragma once

#include "net/accept_backoff.hpp"
#include "net/listener_shared.hpp"
#include "otp/detail/process_task.hpp"
#include "otp/pid.hpp"

#include <memory>
#include <optional>

namespace otp::net::detail {

/// The result of one accept, written by the I/O thread, read by the acceptor process. Holds
/// nothing of the listener, so that dropping it on an I/O thread releases only the socket.
struct accept_slot {
  boost::system::error_code error;
  std::optional<stream_socket> socket;
};

/// An acceptor's work, run in its process: accept one connection, tell the listener, then
/// turn the process into the connection's handler (the seeds' acceptor that becomes the
/// connection). Kept apart from the gen_server object, which the handler replaces.
class accept_task final : public otp::detail::process_task,
                          public std::enable_shared_from_this<accept_task> {
 public:
  enum event : std::uint32_t { accepted = 1, rearm };

  accept_task(std::shared_ptr<listener_shared> shared, otp::pid listener, std::size_t slot)
    : shared_(std::move(shared)), listener_(std::move(listener)), slot_(slot) {}

  /// Starts an accept unless one is pending or the listen socket is closed (suspended).
  void arm(otp::detail::server_core& self);
  void run(otp::detail::server_core& self, std::uint32_t event) override;

 private:
  void become_connection(otp::detail::server_core& self, stream_socket peer);
  void back_off(otp::detail::server_core& self, const boost::system::error_code& error);

  std::shared_ptr<listener_shared> shared_;
  otp::pid listener_;
  std::size_t slot_;
  std::shared_ptr<accept_slot> result_;
  accept_backoff backoff_;
  bool armed_ = false;
};

/// The acceptor process's gen_server: a child of the acceptors' supervisor.
class acceptor {
 public:
  acceptor(std::shared_ptr<listener_shared> shared, otp::pid listener, std::size_t slot);
  void init();
  void rearm(otp::detail::server_core& self) { task_->arm(self); }

 private:
  std::shared_ptr<accept_task> task_;
};

/// Sent to every waiting acceptor when the listener resumes: arm again. Stateless and shared;
/// a process that has become a connection ignores it.
std::shared_ptr<otp::detail::process_task> rearm_task();

/// Sent to every connection when the listener drains: delivers `net::draining`.
std::shared_ptr<otp::detail::process_task> make_draining_task(const handler_table* table);

}  // namespace otp::net::detail
