#pragma once

#include "otp/detail/waiting_process.hpp"
#include "otp/timeout.hpp"
#include "process/process_core.hpp"

#include <caf/actor_clock.hpp>

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace otp::net::detail {

/// One wait for an I/O thread's completion (a socket readable, a connection to accept) by
/// whoever blocks in `accept` or `socket::read`: inside a process it parks the process
/// (`waiting_process`: its thread runs others), elsewhere it blocks the thread. The completion
/// handler holds it by shared_ptr and fires it on the I/O thread. Firing and disarming take
/// the same lock, so a completion that comes after the waiter gave up (its timeout, a kill)
/// never ends a later wait of the same process (reply_sink's rule for replies).
class io_wait {
 public:
  /// Before the operation that fires it is started.
  void arm() noexcept {
    waiter_ = otp::detail::waiting_process::current();
    std::lock_guard lock{mutex_};
    armed_ = true;
    fired_ = false;
    if (waiter_)
      waiter_->prepare_wait();
  }

  /// From the I/O thread: ends the wait, if it is still on.
  void fire() noexcept {
    std::lock_guard lock{mutex_};
    if (!armed_)
      return;
    armed_ = false;
    fired_ = true;
    if (waiter_)
      waiter_->wake();
    else
      cv_.notify_one();
  }

  /// Waits until fired or `t` passed; true if fired. Throws `process_exit` when an exit
  /// signal kills the waiting process meanwhile (the wait is disarmed then too).
  bool wait(timeout t) {
    if (waiter_) {
      struct disarm_on_exit {
        io_wait& w;
        ~disarm_on_exit() { w.disarm(); }
      } guard{*this};
      waiter_->suspend(t);
    } else {
      std::unique_lock lock{mutex_};
      if (t == infinity)
        cv_.wait(lock, [this] { return fired_; });
      else
        cv_.wait_for(lock, t, [this] { return fired_; });
    }
    return disarm();
  }

  /// The operation could not be started: leaves the wait unused (nothing can fire it).
  void abandon() {
    disarm();
    if (waiter_)
      waiter_->suspend(timeout::zero());  // ends the prepared wait at once
  }

 private:
  bool disarm() noexcept {
    std::lock_guard lock{mutex_};
    armed_ = false;
    return fired_;
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  otp::detail::waiting_process* waiter_ = nullptr;
  bool armed_ = false;
  bool fired_ = false;
};

/// The end of a blocking operation's `timeout`, on the clock its waits run on: the node's
/// inside a process (virtual under the test kit), the steady clock elsewhere.
class io_deadline {
 public:
  explicit io_deadline(timeout t)
    : forever_(t == infinity), at_(forever_ ? caf::actor_clock::time_point{} : now() + t) {}

  /// What is left of the timeout (`infinity` for none; zero or less once it passed).
  timeout remaining() const {
    if (forever_)
      return infinity;
    return std::chrono::ceil<timeout>(at_ - now());  // zero only once it passed
  }

 private:
  static caf::actor_clock::time_point now() {
    if (auto* self = otp::detail::process_core::current())
      return self->now();
    return std::chrono::steady_clock::now();
  }

  bool forever_;
  caf::actor_clock::time_point at_;
};

}  // namespace otp::net::detail
