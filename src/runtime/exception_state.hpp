#pragma once

// The C++ runtime's record of the exceptions a thread is handling, carried by a process that
// leaves its thread in a wait.

namespace otp::detail {

/// What the C++ runtime keeps per thread about exceptions: the chain of those being handled
/// (in `catch` blocks: what `throw;` and `std::current_exception` find) and the count of those
/// in flight (`std::uncaught_exceptions`, non-zero while a throw unwinds). A process that waits
/// inside a `catch` block, or in a destructor run by a throw, owns part of that state: it takes
/// it when it leaves its thread and puts it back on the thread that resumes it, so neither the
/// processes that run on the old thread meanwhile nor the new thread's own see or lose it.
class exception_state {
 public:
  /// Takes this thread's state, leaving the thread with no exception handled or in flight.
  [[nodiscard]] static exception_state take() noexcept;

  /// Puts the state back on the thread that runs now, which has none of its own.
  void restore() const noexcept;

 private:
  void* handled_ = nullptr;
  unsigned int in_flight_ = 0;
};

}  // namespace otp::detail
