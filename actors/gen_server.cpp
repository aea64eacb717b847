#include "otp/gen_server.hpp"

#include "deterministic.hpp"

#include "otp/detail/caf_error.hpp"

#include <caf/scheduler/test_coordinator.hpp>

#include <condition_variable>
#include <mutex>

namespace otp::detail {

node& node_of_current() {
  auto* self = server_core::current();
  if (!self)
    throw std::logic_error("no node given and no calling process to take it from");
  return self->home();
}

}  // namespace otp::detail

namespace otp::gen_server {

expected<void, call_error> stop(const pid& server, exit_reason reason, timeout t) {
  if (!server)
    return unexpected{call_error{call_error::kind::noproc}};
  struct exit_latch {
    std::mutex mtx;
    std::condition_variable cv;
    bool done = false;
  };
  auto latch = std::make_shared<exit_latch>();
  auto* target = caf::actor_cast<caf::abstract_actor*>(server.actor());
  if (target->getf(caf::abstract_actor::is_terminated_flag))
    return unexpected{call_error{call_error::kind::noproc}};
  target->attach_functor([latch] {
    std::lock_guard guard{latch->mtx};
    latch->done = true;
    latch->cv.notify_all();
  });
  caf::anon_send(server.actor(), detail::sys_atom::value, detail::stop_atom::value,
                 detail::to_caf_error(reason));
  auto done = [&] {
    std::lock_guard guard{latch->mtx};
    return latch->done;
  };
  auto& sys = server.actor()->home_system();
  bool stopped = false;
  if (dynamic_cast<caf::scheduler::test_coordinator*>(&sys.scheduler())) {
    stopped = detail::drive_until(sys, done, t);
  } else {
    std::unique_lock guard{latch->mtx};
    if (t == infinity)
      latch->cv.wait(guard, [&] { return latch->done; }), stopped = true;
    else
      stopped = latch->cv.wait_for(guard, t, [&] { return latch->done; });
  }
  if (!stopped)
    return unexpected{call_error{call_error::kind::timeout}};
  return {};
}

}  // namespace otp::gen_server
