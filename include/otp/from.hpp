#pragma once

#include "otp/detail/box.hpp"
#include "otp/detail/pending_reply.hpp"

#include <memory>
#include <utility>

namespace otp {

namespace detail {

/// A local caller unboxes its reply; a caller on another node gets the bare value, which CAF
/// serialises (its type is registered with the node's message types).
template <class R>
caf::message boxed_reply(R&& value) {
  return caf::make_message(box<R>{std::move(value)});
}

template <class R>
caf::message bare_reply(R&& value) {
  return caf::make_message(std::move(value));
}

}  // namespace detail

/// The caller of a `handle_call`, for a reply given later (OTP's `From` and `gen_server:reply/2`).
///
/// Keep a copy, return `otp::noreply()`, and call `reply(value)` from any later callback or from
/// any thread. Only the first reply counts. If the server exits first, the caller gets a
/// `call_error` with the exit reason at once, not at its timeout.
template <class R>
class from {
 public:
  using wrap_fn = caf::message (*)(R&&);

  from() = default;
  explicit from(std::shared_ptr<detail::pending_reply> slot, wrap_fn wrap = &detail::boxed_reply<R>)
    : slot_(std::move(slot)), wrap_(wrap) {}

  /// Delivers the reply; returns false when a reply was already given (or the server exited).
  bool reply(R value) const {
    if (!slot_ || !slot_->claim())
      return false;
    slot_->deliver(wrap_(std::move(value)));
    return true;
  }

  /// True while the caller still waits for this reply.
  bool pending() const noexcept { return slot_ && !slot_->done.load(); }

 private:
  std::shared_ptr<detail::pending_reply> slot_;
  wrap_fn wrap_ = &detail::boxed_reply<R>;
};

}  // namespace otp
