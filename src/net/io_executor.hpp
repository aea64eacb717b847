#pragma once

#include <caf/execution_unit.hpp>

namespace otp::net::detail {

/// Lets an I/O thread run the process its completion woke, as CAF's multiplexer runs its
/// brokers: the readiness that makes a connection's process runnable is handled on the
/// thread that saw it, with no hand-off to a scheduler thread (a futex wake and a cache
/// miss per packet). Anything else that becomes runnable meanwhile — a process the
/// connection sent to, the connection itself after `max_throughput` messages — goes to the
/// node's scheduler, so an I/O thread only ever runs the work its own sockets brought.
class io_executor final : public caf::execution_unit {
 public:
  explicit io_executor(caf::actor_system& sys);
  io_executor(const io_executor&) = delete;
  io_executor& operator=(const io_executor&) = delete;
  ~io_executor() override;

  /// The executor of the calling I/O thread, or null on any other thread.
  static io_executor* current() noexcept;

  void exec_later(caf::resumable* job) override;

  /// Runs `f` as this thread's job, unless a job already runs here (then returns false):
  /// what becomes runnable meanwhile goes to the scheduler, as during a resume.
  template <class F>
  bool run(F&& f) {
    if (running_)
      return false;
    running_ = true;
    bool done = f();
    running_ = false;
    return done;
  }

 private:
  bool running_ = false;
  io_executor* previous_;
};

}  // namespace otp::net::detail
