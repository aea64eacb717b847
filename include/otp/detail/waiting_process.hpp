#pragma once

// A process that waits without holding its thread. Each process runs its callbacks on a
// stack of its own (a fiber); a wait inside them — a call, a stop, a supervisor request —
// parks that stack and gives the thread back to the scheduler. Whoever completes the wait
// (a reply, a timer, an exit signal) makes the process runnable again, on any thread.

#include "otp/exit_reason.hpp"
#include "otp/timeout.hpp"

namespace otp::detail {

/// Thrown out of a wait when an exit signal kills the waiting process (`kill`, or any
/// non-normal signal it does not trap): it unwinds the process's stack, running destructors,
/// and the process exits with `reason`, without `terminate`, as an Erlang process does. It is
/// not a `std::exception`; a `catch (...)` in a callback must rethrow it.
struct process_exit {
  exit_reason reason;
};

class waiting_process {
 public:
  /// The process whose stack runs on this thread, if it can wait there; null on plain
  /// threads and wherever waiting must block the thread.
  static waiting_process* current() noexcept;

  /// On the process's stack, before whatever will wake it is set in motion: the next
  /// `suspend` waits for a `wake`.
  virtual void prepare_wait() noexcept = 0;
  /// On the process's stack: returns once woken, or once `t` has passed (at once if woken
  /// already); the caller tells which from its own state. Meanwhile the thread runs other
  /// processes, and this one may go on on another thread. Throws `process_exit` if an exit
  /// signal kills the process meanwhile.
  virtual void suspend(timeout t) = 0;
  /// From any thread: ends the current wait; no effect when the process does not wait. Whoever
  /// calls it must make sure it ends the wait it was meant for (see `reply_sink`).
  virtual void wake() noexcept = 0;

 protected:
  ~waiting_process() = default;
};

}  // namespace otp::detail
