#pragma once

#include "net/connection.hpp"
#include "net/listener_shared.hpp"
#include "otp/child_spec.hpp"
#include "otp/pid.hpp"

#include <memory>

namespace otp::net::detail {

/// What an acceptor hands to the connections' supervisor: the accepted connection, and the
/// owner that counted it (told if the handler fails to start, so that it counts it out).
struct accepted_socket {
  std::shared_ptr<connection> conn;
  otp::pid owner;
};

/// The listener's first child: a simple_one_for_one supervisor with one temporary child per
/// connection, the user's handler, stopped with `listener_options::shutdown`. Its start
/// function records the supervisor in `shared->parts` for the owner and the acceptors.
child_spec connections_sup_spec(std::shared_ptr<listener_shared> shared);

}  // namespace otp::net::detail
