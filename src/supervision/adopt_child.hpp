#pragma once

// A private hook of the library, not part of the supervisor's public interface: the socket
// server's acceptors start each connection's handler themselves (gen_server's `start_for`,
// with the handler's init on the acceptor's stack) and hand it to the connections'
// supervisor, which then owns it as if it had started it.

#include "otp/pid.hpp"
#include "otp/supervisor.hpp"

namespace otp::detail {

/// Makes `child`, started with `start_for(sup, ...)`, a temporary child of the
/// simple_one_for_one supervisor `sup`: it monitors the child, drops the link the start made,
/// lists it in which_children, reports its exit to the exit observer and stops it with the
/// child spec's shutdown. Asynchronous: the caller does not wait for the supervisor. A
/// supervisor that cannot adopt it (not simple_one_for_one with a temporary child spec,
/// or stopping) stops it with `shutdown`.
void adopt_child(const sup_ref& sup, const pid& child);

}  // namespace otp::detail
