#include "runtime/exit_watch.hpp"

#include "runtime/deterministic.hpp"

#include "otp/detail/waiting_process.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/scheduler/test_coordinator.hpp>

#include <condition_variable>
#include <mutex>

namespace otp::detail {

struct exit_watch::state {
  std::mutex mtx;
  std::condition_variable cv;
  bool done = false;
  caf::error reason;
  waiting_process* waiter = nullptr;  // a process parked in `wait`

  bool is_done() {
    std::lock_guard guard{mtx};
    return done;
  }
};

exit_watch::exit_watch(const caf::actor& who)
  : state_(std::make_shared<state>()), sys_(&who->home_system()) {
  // Runs with the recorded reason at once if `who` has exited, else on its thread at exit.
  caf::actor_cast<caf::abstract_actor*>(who)->attach_functor([s = state_](const caf::error& r) {
    {
      std::lock_guard guard{s->mtx};
      s->reason = r;
      s->done = true;
      if (s->waiter)
        s->waiter->wake();  // under the lock: the waiting process cannot leave this wait
      s->waiter = nullptr;
    }
    // A waiting thread is woken once the lock is free (it would wake only to block on it);
    // `s` keeps the state alive meanwhile.
    s->cv.notify_all();
  });
}

bool exit_watch::wait(timeout t) {
  if (auto* waiter = waiting_process::current()) {
    {
      std::lock_guard guard{state_->mtx};
      if (state_->done)
        return true;
      state_->waiter = waiter;
      waiter->prepare_wait();
    }
    // However the wait ends (the exit, the timeout, the caller killed), the watch lets go of
    // the waiter under the lock, so its exit never wakes a later wait.
    struct forget {
      state& s;
      ~forget() {
        std::lock_guard guard{s.mtx};
        s.waiter = nullptr;
      }
    } release{*state_};
    waiter->suspend(t);
    return state_->is_done();
  }
  if (dynamic_cast<caf::scheduler::test_coordinator*>(&sys_->scheduler()))
    return drive_until(
      *sys_, [s = state_] { return s->is_done(); }, t);
  std::unique_lock guard{state_->mtx};
  if (t == infinity) {
    state_->cv.wait(guard, [this] { return state_->done; });
    return true;
  }
  return state_->cv.wait_for(guard, t, [this] { return state_->done; });
}

caf::error exit_watch::reason() const {
  std::lock_guard guard{state_->mtx};
  return state_->reason;
}

}  // namespace otp::detail
