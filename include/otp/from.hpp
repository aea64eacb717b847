#pragma once

#include "otp/detail/box.hpp"
#include "otp/detail/server_core.hpp"

#include <memory>
#include <utility>

namespace otp {

/// The caller of a `handle_call`, for a reply given later (OTP's `From` and `gen_server:reply/2`).
///
/// Keep a copy, return `otp::noreply()`, and call `reply(value)` from any later callback or from
/// any thread. Only the first reply counts. If the server exits first, the caller gets a
/// `call_error` with the exit reason at once, not at its timeout.
template <class R>
class from {
 public:
  from() = default;
  explicit from(std::shared_ptr<detail::pending_reply> slot) : slot_(std::move(slot)) {}

  /// Delivers the reply; returns false when a reply was already given (or the server exited).
  bool reply(R value) const {
    if (!slot_ || !slot_->claim())
      return false;
    slot_->deliver(caf::make_message(detail::box<R>{std::move(value)}));
    return true;
  }

  /// True while the caller still waits for this reply.
  bool pending() const noexcept { return slot_ && !slot_->done.load(); }

 private:
  std::shared_ptr<detail::pending_reply> slot_;
};

}  // namespace otp
