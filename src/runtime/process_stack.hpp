#pragma once

// The stacks processes run their callbacks on. A process that waits keeps its stack until it
// runs on; every other process hands its stack back when its turn ends, so a thread reuses a
// few warm stacks. Each stack has a guard page below it: an overflow faults instead of
// overwriting a neighbour.

#include <boost/context/stack_context.hpp>

#include <cstddef>

namespace otp::detail {

/// A Boost.Context stack allocator over a per-thread cache of stacks.
class process_stack {
 public:
  /// Usable bytes per stack; pages are committed as they are touched.
  static constexpr std::size_t size = 256 * 1024;

  boost::context::stack_context allocate();
  void deallocate(boost::context::stack_context& sc) noexcept;

  /// Stacks kept for reuse by the calling thread.
  static std::size_t cached() noexcept;
};

}  // namespace otp::detail
