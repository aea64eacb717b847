#pragma once

// A process's turn: its messages, as many as the scheduler allows.

#include "otp/detail/process_core.hpp"

#include <cstdint>

namespace otp::detail {

/// Handles the messages of up to `max` mailbox visits: a `process_core::stack_body`, run on
/// the process's stack. Returns CAF's `resume_result`.
std::uint8_t run_message_loop(process_core& self, std::uintptr_t max);

}  // namespace otp::detail
