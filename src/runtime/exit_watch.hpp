#pragma once

#include "otp/timeout.hpp"

#include <caf/actor.hpp>
#include <caf/error.hpp>

#include <memory>

namespace otp::detail {

/// Learns when a process exits, and why, from any thread: a calling thread, a test, or a
/// supervisor whose start failed. Waits in real time, or by driving a deterministic node.
class exit_watch {
 public:
  /// Watches `who`; it counts as exited at once if it already has.
  explicit exit_watch(const caf::actor& who);

  /// True once the process has exited, waiting at most `t`.
  bool wait(timeout t);

  /// The exit reason, once `wait` returned true.
  caf::error reason() const;

 private:
  struct state;
  std::shared_ptr<state> state_;
  caf::actor_system* sys_;
};

}  // namespace otp::detail
