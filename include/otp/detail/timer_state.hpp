#pragma once

// A `send_after` timer's state, shared by its message and its `timer_ref`. The message itself
// is made in src/ (process/timer_message.hpp).

#include <atomic>
#include <memory>

namespace otp::detail {

/// Shared by a timer's message and its `timer_ref`: whichever of delivery and cancellation
/// comes first wins, so a cancelled timer's message is dropped on arrival.
struct timer_state {
  enum : int { pending, fired, cancelled };
  std::atomic<int> state{pending};

  bool fire() noexcept {
    int expected = pending;
    return state.compare_exchange_strong(expected, fired, std::memory_order_acq_rel);
  }

  bool cancel() noexcept {
    int expected = pending;
    return state.compare_exchange_strong(expected, cancelled, std::memory_order_acq_rel);
  }
};

struct timer_ref_box {
  std::shared_ptr<timer_state> state;
};

}  // namespace otp::detail
