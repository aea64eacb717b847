#include "stop_and_wait.hpp"

#include "deterministic.hpp"

#include "otp/process.hpp"

#include <caf/actor_system.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <condition_variable>
#include <memory>
#include <mutex>

namespace otp::detail {

namespace {

struct exit_latch {
  std::mutex mtx;
  std::condition_variable cv;
  bool done = false;

  bool is_done() {
    std::lock_guard guard{mtx};
    return done;
  }
};

bool wait_for(caf::actor_system& sys, const std::shared_ptr<exit_latch>& latch, timeout t) {
  if (dynamic_cast<caf::scheduler::test_coordinator*>(&sys.scheduler()))
    return drive_until(
      sys, [&] { return latch->is_done(); }, t);
  std::unique_lock guard{latch->mtx};
  if (t == infinity) {
    latch->cv.wait(guard, [&] { return latch->done; });
    return true;
  }
  return latch->cv.wait_for(guard, t, [&] { return latch->done; });
}

}  // namespace

void stop_and_wait(const std::vector<std::pair<pid, shutdown_spec>>& children) {
  for (const auto& [child, spec] : children) {
    auto latch = std::make_shared<exit_latch>();
    caf::actor_cast<caf::abstract_actor*>(child.actor())->attach_functor([latch] {
      std::lock_guard guard{latch->mtx};
      latch->done = true;
      latch->cv.notify_all();
    });
    auto& sys = child.actor()->home_system();
    if (spec.is_brutal_kill()) {
      otp::exit(child, exit_reason::kill());
      wait_for(sys, latch, infinity);
      continue;
    }
    otp::exit(child, exit_reason::shutdown());
    if (!wait_for(sys, latch, spec.after())) {
      otp::exit(child, exit_reason::kill());
      wait_for(sys, latch, infinity);
    }
  }
}

}  // namespace otp::detail
