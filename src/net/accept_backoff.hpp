#pragma once

#include <algorithm>
#include <chrono>

namespace otp::net::detail {

/// How long to wait before accepting again after an accept failed. EMFILE and ENFILE leave the
/// connection in the backlog and the listen socket readable: accepting again at once would
/// spin. The wait doubles from 10 ms up to a second, and starts over once an accept succeeds.
/// Used by the socket server's acceptors and by distribution's carriers.
class accept_backoff {
 public:
  /// After a failed accept: the wait before the next one.
  std::chrono::milliseconds failed() noexcept {
    delay_ = std::clamp(delay_ * 2, std::chrono::milliseconds{10}, std::chrono::milliseconds{1000});
    return delay_;
  }
  /// After an accept that succeeded.
  void succeeded() noexcept { delay_ = std::chrono::milliseconds{0}; }
  /// True from a failure to the next success: one episode, to be reported once.
  bool backing_off() const noexcept { return delay_.count() != 0; }

 private:
  std::chrono::milliseconds delay_{0};
};

}  // namespace otp::net::detail
