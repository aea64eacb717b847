#pragma once

#include <cstdint>

namespace otp::detail {

/// Where a process is with its wait (`process_core::wait_state_`): not waiting; about to
/// wait (`prepare_wait`); parked, its stack given up; woken, the wait over.
enum wait_state : std::uint8_t { idle, waiting, parked, woken };

}  // namespace otp::detail
