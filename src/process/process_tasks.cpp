// Tasks a process runs for its sockets: an I/O thread runs an idle process's task at once, on
// the process's own stack, instead of posting it to the mailbox (see process_task.hpp).

#include "process/process_core.hpp"

#include "process/process_task.hpp"
#include "runtime/caf_error.hpp"

#include <caf/execution_unit.hpp>

namespace otp::detail {

void process_core::run_task(process_task& task, std::uint32_t event) {
  task.run(*this, event);
}

namespace {

/// What an I/O thread hands to a process's stack: the task and its event.
struct io_job {
  process_task* task;
  std::uint32_t event;
};

}  // namespace

bool process_core::run_if_idle(process_task& task, std::uint32_t event, caf::execution_unit* ctx) {
  // An idle process has a blocked mailbox; unblocking it is what a wake-up does, and makes
  // this thread the one that runs the process until it blocks again (its state is ours to
  // read only from then on). What is sent to it meanwhile queues up behind, so the order of
  // its messages holds.
  if (!getf(is_initialized_flag) || !mailbox().try_unblock())
    return false;
  context(ctx);
  // Give the process back as resume does: blocked again, or scheduled when messages arrived.
  auto release = [&] {
    if (!mailbox().try_block()) {
      caf::intrusive_ptr_add_ref(ctrl());
      ctx->exec_later(this);
    }
  };
  if (!takes_tasks()) {
    release();
    return false;
  }
  io_job job{&task, event};
  auto result = run_on_own_stack(ctx, &run_io_job, reinterpret_cast<std::uintptr_t>(&job));
  // Parked in a wait: the I/O thread goes on with other connections; whoever wakes the
  // process schedules it, and a scheduler thread finishes the task's turn.
  if (result == parked_marker)
    return true;
  // A process that stopped in the task is finalised here and now, as resume would.
  if (!finalize())
    release();
  return true;
}

namespace {

/// A message handled as a task (`handle_if_idle`): it takes the element from the caller's
/// frame as it starts, before anything can park, and uses only its own frame from then on.
class message_task final : public process_task {
 public:
  explicit message_task(caf::mailbox_element_ptr& x) : x_(x) {}
  void run(process_core& self, std::uint32_t) override {
    auto x = std::move(x_);
    // What the mailbox's turn does with it; one it skips (a server holding its requests)
    // waits in the mailbox, which this turn holds: the process is scheduled as it ends.
    if (self.consume(*x) == caf::invoke_message_result::skipped)
      self.enqueue(std::move(x), self.context());
  }

 private:
  caf::mailbox_element_ptr& x_;
};

}  // namespace

bool process_core::handle_if_idle(caf::mailbox_element_ptr& x, caf::execution_unit* ctx) {
  // A bounded mailbox counts what comes in at its door (`admit`), which this path skips.
  if (bounded_ || !x)
    return false;
  message_task task{x};
  return run_if_idle(task, 0, ctx);
}

std::uint8_t process_core::run_io_job(process_core& self, std::uintptr_t arg) {
  // Copied now: the I/O thread's frame that holds the job is gone once this stack parks.
  auto job = *reinterpret_cast<const io_job*>(arg);
  try {
    self.run_task(*job.task, job.event);
  } catch (const process_exit& e) {  // killed while it waited
    self.quit(to_caf_error(e.reason));
  }
  if (!turn_has_parked())
    return inline_marker;  // run_if_idle releases the process as before
  // Woken on a scheduler thread, inside its resume: end the turn as a resume ends it.
  if (self.finalize())
    return caf::resumable::done;
  return self.mailbox().try_block() ? caf::resumable::awaiting_message
                                    : caf::resumable::resume_later;
}

}  // namespace otp::detail
