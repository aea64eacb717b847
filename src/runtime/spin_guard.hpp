#pragma once

// A lock for critical sections of a few instructions that are rarely contended (a process's
// wait state, a stack's owner). An uncontended lock costs one atomic exchange, a third of a
// mutex's. A waiter spins briefly, then yields its time slice: on a loaded machine the holder
// may have been preempted, and spinning until it runs again would burn whole time slices.

#include <atomic>
#include <thread>

namespace otp::detail {

class spin_guard {
 public:
  explicit spin_guard(std::atomic_flag& flag) noexcept : flag_(flag) {
    for (int spins = 0; flag_.test_and_set(std::memory_order_acquire); ++spins)
      if (spins >= 64)
        std::this_thread::yield();
  }
  ~spin_guard() { flag_.clear(std::memory_order_release); }
  spin_guard(const spin_guard&) = delete;
  spin_guard& operator=(const spin_guard&) = delete;

 private:
  std::atomic_flag& flag_;
};

}  // namespace otp::detail
