#pragma once

#include "otp/node.hpp"

#include <cstddef>
#include <cstdint>

namespace otp::observer {

/// Figures about a node and its OS process, cheap to take (no process is asked).
struct node_figures {
  std::size_t processes = 0;
  std::size_t scheduler_threads = 0;
  std::uint64_t resident_bytes = 0;     ///< /proc/self/statm's resident pages
  std::uint64_t virtual_bytes = 0;      ///< /proc/self/statm's size
  std::uint64_t heap_in_use_bytes = 0;  ///< mallinfo2's uordblks
};

node_figures take_node_figures(node& n);

}  // namespace otp::observer
