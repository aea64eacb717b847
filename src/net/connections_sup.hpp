#pragma once

#include "net/listener_shared.hpp"
#include "otp/child_spec.hpp"

#include <memory>

namespace otp::net::detail {

/// The listener's first child: a simple_one_for_one supervisor with one temporary child per
/// connection, the user's handler, stopped with `listener_options::shutdown`. The acceptors
/// start the handlers and hand them to it (adopt_child); its start function records the
/// supervisor in `shared->parts` for the owner and the acceptors.
child_spec connections_sup_spec(std::shared_ptr<listener_shared> shared);

}  // namespace otp::net::detail
