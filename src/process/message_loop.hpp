#pragma once

// A process's turn: its messages, as many as the scheduler allows.

#include "process/process_core.hpp"

#include <cstdint>

namespace otp::detail {

/// Handles the messages of up to `max` mailbox visits: a `process_core::stack_body`, run on
/// the process's stack. Returns CAF's `resume_result`.
std::uint8_t run_message_loop(process_core& self, std::uintptr_t max);

/// From now on, on the calling thread, a process's turn ends after one visit of its mailbox
/// and leaves what remains to the scheduler (`resume_later`): for an I/O thread that runs, now
/// and then, a process its read woke, and must go back to its sockets soon.
void short_turns_on_this_thread(bool on) noexcept;

}  // namespace otp::detail
