#include "net/io_executor.hpp"

#include <caf/actor_system.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

namespace otp::net::detail {

namespace {

thread_local io_executor* current_executor = nullptr;

}  // namespace

io_executor::io_executor(caf::actor_system& sys)
  : caf::execution_unit(&sys), previous_(current_executor) {
  current_executor = this;
}

io_executor::~io_executor() {
  current_executor = previous_;
}

io_executor* io_executor::current() noexcept {
  return current_executor;
}

void io_executor::exec_later(caf::resumable* job) {
  auto& scheduler = system().scheduler();
  // The reference CAF added when it made the job runnable is ours until we hand it on.
  bool ran = run([&] {
    switch (job->resume(this, scheduler.max_throughput())) {
      case caf::resumable::resume_later:
        scheduler.enqueue(job);
        break;
      case caf::resumable::done:
      case caf::resumable::awaiting_message:
      case caf::resumable::shutdown_execution_unit:
        caf::intrusive_ptr_release(job);
        break;
    }
    return true;
  });
  if (!ran)
    scheduler.enqueue(job);
}

}  // namespace otp::net::detail
