#pragma once

// A private hook of the library, not part of the supervisor's public interface: the socket
// server's owner counts its connections from their supervisor's exit notices rather than with
// a monitor of its own on each (the supervisor already watches them).

#include "otp/exit_reason.hpp"
#include "otp/pid.hpp"
#include "otp/supervisor.hpp"

namespace otp::detail {

/// What a supervisor's exit observer gets (as an info message) when one of its children exits.
struct sup_child_exit {
  otp::pid child;
  exit_reason reason;
};

/// From now on, `observer` gets a `sup_child_exit` for every child of `sup` that exits.
void observe_child_exits(const sup_ref& sup, const pid& observer);

}  // namespace otp::detail
