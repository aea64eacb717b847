#pragma once

#include "otp/exit_reason.hpp"

namespace otp::detail {

class server_core;

/// The hooks of the library's own gen_servers that are more than a gen_server (OTP's special
/// processes: the supervisor, the socket server's listen-socket owner, net_kernel). A callback
/// module gets them only by deriving from this class, never by naming a member like a hook: a
/// user's server with a member `exiting` or `defer_stop` is an ordinary gen_server.
class special_process {
 public:
  virtual ~special_process() = default;

  /// The server is asked to stop (`reason`). Returning true delays the exit until it calls
  /// `server_core::complete_stop`: a supervisor stops its children first, as OTP's does.
  virtual bool defer_stop(const exit_reason& reason) {
    (void)reason;
    return false;
  }
  /// The process is exiting (any way, kill included): last chance to send exit signals and
  /// to close what must not outlive it.
  virtual void exiting(server_core& core, const exit_reason& reason) {
    (void)core;
    (void)reason;
  }
};

}  // namespace otp::detail
