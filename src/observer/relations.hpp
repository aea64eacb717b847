#pragma once

// A process's links and monitors, read from CAF, which keeps them (CAF 0.17 has no accessor
// for them): each actor holds a list of "attachables" under its own mutex — for each link one
// entry naming the other end, and for each monitor one entry, in the monitored process, naming
// the monitoring one. We read them where CAF writes them, under the same mutex, and only when
// a page asks for one process: nothing is kept or paid for otherwise, and what is shown is
// what CAF will act on at the exit (not a second bookkeeping that could drift from it).

#include "otp/node.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace otp::observer::detail {

struct relations {
  std::vector<std::string> links;         ///< linked processes (both directions)
  std::vector<std::string> monitors;      ///< processes this one monitors
  std::vector<std::string> monitored_by;  ///< processes (and calls' reply sinks) monitoring it
};

/// `monitors` walks every process of the node under its lock, taking each process's mutex in
/// turn (a monitor is kept in the monitored process): O(n), for one process's details.
relations relations_of(const node& n, const pid& p);

}  // namespace otp::observer::detail
