#include "otp/observer/restart_stats.hpp"

namespace otp::observer {

namespace {

constexpr std::size_t max_reasons = 16;
constexpr std::size_t max_reason_length = 80;

}  // namespace

struct restart_stats::shared {
  mutable std::mutex mtx;
  std::map<std::string, supervisor_restarts> by_supervisor;

  void count(const log_event& e) {
    if (e.kind != "supervisor_report")
      return;
    auto context = e.field("context");
    std::lock_guard guard{mtx};
    auto& s = by_supervisor[std::string{e.field("supervisor")}];
    if (context == "shutdown" && e.field("reason") == "reached_max_restart_intensity") {
      ++s.max_intensity_shutdowns;
    } else if (context == "child_terminated") {
      auto reason = std::string{e.field("reason").substr(0, max_reason_length)};
      if (!s.by_reason.contains(reason) && s.by_reason.size() >= max_reasons)
        reason = "other";
      ++s.by_reason[reason];
      ++s.total;
    }
  }
};

restart_stats::restart_stats(node& n) : node_(n), shared_(std::make_shared<shared>()) {
  // The tap holds `shared` itself: a report logged while this object is being destroyed
  // still finds it alive.
  tap_ = n.logger().add_tap([s = shared_](const log_event& e) { s->count(e); });
}

restart_stats::~restart_stats() {
  node_.logger().remove_tap(tap_);
}

std::map<std::string, supervisor_restarts> restart_stats::snapshot() const {
  std::lock_guard guard{shared_->mtx};
  return shared_->by_supervisor;
}

}  // namespace otp::observer
