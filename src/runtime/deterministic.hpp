#pragma once

#include "otp/timeout.hpp"

#include <caf/actor_system.hpp>

#include <functional>

namespace otp::detail {

/// Drives a node running CAF's test coordinator until `done()` holds: runs every ready job,
/// and when nothing is ready, jumps virtual time to the next timer. Returns false when
/// `limit` (virtual time from now) passed first, or when nothing can ever happen again.
bool drive_until(caf::actor_system& sys, const std::function<bool()>& done, timeout limit);

}  // namespace otp::detail
