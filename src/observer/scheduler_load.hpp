#pragma once

// Scheduler threads' utilisation over the last interval: the busy fraction of each thread
// between two samples of the times the scheduler keeps (runtime/scheduler_times.hpp).

#include "runtime/scheduler_times.hpp"

#include <chrono>
#include <vector>

namespace otp::observer::detail {

class scheduler_load {
 public:
  /// Samples at most once per `interval`: each caller in between gets the last figures, so
  /// that the interval does not shrink to the time between two requests.
  explicit scheduler_load(std::chrono::milliseconds interval = std::chrono::seconds{1})
    : interval_(interval) {}

  struct figures {
    std::vector<double> busy;  ///< per thread, 0 to 1, over the last interval
    std::vector<otp::detail::scheduler_time> totals;  ///< since the threads started
  };

  /// Not thread-safe: the observer's one I/O thread calls it.
  const figures& read(node& n);

 private:
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point taken_{};
  std::vector<otp::detail::scheduler_time> previous_;
  figures last_;
};

}  // namespace otp::observer::detail
