#include "runtime/deterministic.hpp"

#include <caf/detail/test_actor_clock.hpp>
#include <caf/scheduler/test_coordinator.hpp>

namespace otp::detail {

bool drive_until(caf::actor_system& sys, const std::function<bool()>& done, timeout limit) {
  auto& sched = dynamic_cast<caf::scheduler::test_coordinator&>(sys.scheduler());
  auto& clock = sched.clock();
  auto deadline = limit == infinity ? caf::actor_clock::time_point::max() : clock.now() + limit;
  while (!done()) {
    if (sched.try_run_once())
      continue;
    if (!clock.has_pending_timeout()) {
      // Idle for ever: nothing can happen before the deadline, so it passes.
      if (limit != infinity)
        clock.current_time = deadline;
      return false;
    }
    auto next = clock.schedule().begin()->first;
    if (next > deadline) {
      clock.current_time = deadline;
      return done();
    }
    if (next > clock.current_time)
      clock.current_time = next;
    clock.trigger_timeout();
  }
  return true;
}

}  // namespace otp::detail
