#pragma once

// The exit signal a process notes for its wait (process_core::pending_exit_): owned by the
// process, except for the common reasons without a detail (shutdown, killed, ...), which are
// kept once for all processes, so that a supervisor shutting down a thousand children does not
// make a thousand allocations only in case one of them waits.

#include "otp/exit_reason.hpp"

#include <memory>

namespace otp::detail {

/// The shared reason of `r`'s kind when `r` has no detail, else null.
const exit_reason* shared_exit_reason(const exit_reason& r) noexcept;
/// True for a pointer `shared_exit_reason` returned: not to be deleted, nor moved from.
bool is_shared_exit_reason(const exit_reason* r) noexcept;

/// Deletes a noted reason unless it is a shared one.
struct noted_exit_deleter {
  void operator()(exit_reason* r) const noexcept {
    if (!is_shared_exit_reason(r))
      delete r;
  }
};
using noted_exit = std::unique_ptr<exit_reason, noted_exit_deleter>;

/// A noted reason for `r`: a shared one when there is one, else a copy of its own.
noted_exit note_exit(exit_reason r);

}  // namespace otp::detail
