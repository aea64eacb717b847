#pragma once

#include "otp/timeout.hpp"

#include <any>
#include <utility>

namespace otp {

/// What a server does right after a callback returned: nothing, run `handle_continue` before the
/// next message (`{continue, C}`), or time out when no message arrives in time (`Timeout`).
class action {
 public:
  enum class kind { none, continue_with, after };

  action() = default;

  /// `{continue, C}`: `handle_continue(C)` runs before any other message is handled.
  template <class T>
  static action continue_with(T value) {
    action a;
    a.kind_ = kind::continue_with;
    a.payload_ = std::move(value);
    return a;
  }

  /// OTP's inactivity timeout: `handle_info(otp::timed_out)` when no message arrives within `t`.
  static action after(timeout t) {
    action a;
    a.kind_ = kind::after;
    a.timeout_ = t;
    return a;
  }

  kind what() const noexcept { return kind_; }
  timeout after_timeout() const noexcept { return timeout_; }
  std::any& payload() noexcept { return payload_; }

 private:
  kind kind_ = kind::none;
  timeout timeout_{0};
  std::any payload_;
};

/// `{continue, C}`.
template <class T>
action continue_with(T value) {
  return action::continue_with(std::move(value));
}

}  // namespace otp
