#include "otp/observer/node_figures.hpp"

#include <caf/actor_system.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

#include <malloc.h>
#include <unistd.h>
#include <fstream>

namespace otp::observer {

node_figures take_node_figures(node& n) {
  node_figures f;
  f.processes = n.process_count();
  f.scheduler_threads = n.system().scheduler().num_workers();
  std::ifstream statm{"/proc/self/statm"};
  std::uint64_t size = 0, resident = 0;
  if (statm >> size >> resident) {
    auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
    f.virtual_bytes = size * page;
    f.resident_bytes = resident * page;
  }
  f.heap_in_use_bytes = ::mallinfo2().uordblks;
  return f;
}

}  // namespace otp::observer
