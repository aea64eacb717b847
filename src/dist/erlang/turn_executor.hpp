#pragma once

// The distribution's I/O thread as an execution unit: it runs, now and then, the process its
// read made runnable (kernel.hpp, `inline_turn`), as the socket server's io_executor does, but
// for one message at a time: what a turn leaves (more messages, a process it woke) goes to the
// node's scheduler, and the thread goes back to its sockets.

#include "process/process_core.hpp"

#include <caf/actor_system.hpp>
#include <caf/execution_unit.hpp>
#include <caf/resumable.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>

#include <vector>

namespace otp::dist::erlang {

class turn_executor final : public caf::execution_unit {
 public:
  explicit turn_executor(caf::actor_system& sys) : caf::execution_unit(&sys) {}
  turn_executor(const turn_executor&) = delete;
  turn_executor& operator=(const turn_executor&) = delete;

  /// Runs `job` here, one message of it, unless a job already runs here: then, or for what
  /// is left of it, the scheduler. The reference CAF took to make it runnable is ours.
  void exec_later(caf::resumable* job) override {
    auto& scheduler = system().scheduler();
    if (running_) {
      scheduler.enqueue(job);
      return;
    }
    running_ = true;
    auto result = job->resume(this, 1);
    running_ = false;
    if (result == caf::resumable::resume_later)
      scheduler.enqueue(job);
    else
      caf::intrusive_ptr_release(job);
  }

  /// `process.handle_if_idle(x)` as this thread's job, unless one already runs here (then
  /// false, `x` untouched): a request read for an idle server, handled in it at once.
  bool handle_if_idle(otp::detail::process_core& process, caf::mailbox_element_ptr& x) {
    if (running_)
      return false;
    running_ = true;
    bool ran = process.handle_if_idle(x, this);
    running_ = false;
    return ran;
  }

 private:
  bool running_ = false;
};

/// The processes a read batch made runnable by putting a request into an empty mailbox: they
/// go to the scheduler once the batch is over, each once, instead of one hand-off (and often
/// a sleeping worker's wake-up) per message. A stream of casts read in one batch wakes its
/// server once, and the server finds them all queued. The I/O thread's only; `flush` before
/// the thread goes back to its sockets.
class batch_wakes final : public caf::execution_unit {
 public:
  explicit batch_wakes(caf::actor_system& sys) : caf::execution_unit(&sys) {}
  batch_wakes(const batch_wakes&) = delete;
  batch_wakes& operator=(const batch_wakes&) = delete;
  ~batch_wakes() override { flush(); }

  /// CAF's hand-off of a process a message unblocked; the reference it took is ours.
  void exec_later(caf::resumable* job) override { jobs_.push_back(job); }

  /// The batch is over: every process it made runnable goes to the scheduler.
  void flush() {
    if (jobs_.empty())
      return;
    auto& scheduler = system().scheduler();
    for (auto* job : jobs_)
      scheduler.enqueue(job);
    jobs_.clear();
  }

 private:
  std::vector<caf::resumable*> jobs_;
};

}  // namespace otp::dist::erlang
