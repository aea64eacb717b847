#pragma once

// restart_stats: restarts per supervisor and reason, and shutdowns at max restart intensity,
// counted from the supervisor reports the node's logger carries (so only while its level lets
// error reports through, which is the default).

#include "otp/node.hpp"

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace otp::observer {

struct supervisor_restarts {
  /// child_terminated reports by reason (at most 16 distinct reasons, then "other").
  std::map<std::string, std::uint64_t> by_reason = {};
  std::uint64_t total = 0;
  std::uint64_t max_intensity_shutdowns = 0;
};

/// Counts a node's supervisor reports from construction until destruction.
class restart_stats {
 public:
  explicit restart_stats(node& n);
  ~restart_stats();
  restart_stats(const restart_stats&) = delete;
  restart_stats& operator=(const restart_stats&) = delete;

  /// Per supervisor (its registered name or pid), a copy.
  std::map<std::string, supervisor_restarts> snapshot() const;

 private:
  struct shared;
  node& node_;
  std::uint64_t tap_ = 0;
  std::shared_ptr<shared> shared_;
};

}  // namespace otp::observer
