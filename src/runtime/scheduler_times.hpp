#pragma once

// How busy a node's scheduler threads have been: for the observer's utilisation figures.

#include "otp/node.hpp"

#include <chrono>
#include <vector>

namespace otp::detail {

/// One scheduler thread since it started: the time it spent running processes, and its age.
struct scheduler_time {
  std::chrono::nanoseconds busy{0};
  std::chrono::nanoseconds total{0};
};

/// Per scheduler thread, read with relaxed loads (exact to within one idle period, which may
/// be counted on either side). Empty for the schedulers that keep no times (`sharing`,
/// `testing`).
std::vector<scheduler_time> scheduler_times(node& n);

}  // namespace otp::detail
