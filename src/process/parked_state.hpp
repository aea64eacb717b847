#pragma once

// What a process keeps about a wait, beside its stack: complete here for the process's own
// files (its construction and destruction, the stack's code).

#include "process/process_core.hpp"

#include <caf/message.hpp>
#include <caf/message_id.hpp>

#include <atomic>
#include <optional>

#include "runtime/stack_pool.hpp"

namespace otp::detail {

/// The reply a call on the process's stack waits for. The process arms and disarms it; the
/// thread that delivers the reply fills it, under the lock, only while it is armed.
struct process_core::call_slot {
  std::atomic_flag lock = ATOMIC_FLAG_INIT;
  bool armed = false;
  caf::message_id expected;
  std::optional<caf::message> reply;
};

/// A turn parked in a wait: its frame on the stack, and where the stack's frames are now.
struct process_core::parked_state {
  parked_turn turn;
  fiber_frame* frame = nullptr;
};

}  // namespace otp::detail
