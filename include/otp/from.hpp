#pragma once

#include "otp/detail/message_ref.hpp"

#include <memory>
#include <utility>

namespace otp {

namespace detail {

/// A deferred reply's slot, shared by the `from<R>` the user keeps and the server
/// (pending_reply.hpp, with CAF).
struct pending_reply;

/// True for the first caller only: a reply is delivered at most once.
bool claim_reply(pending_reply& slot) noexcept;
/// Sends the reply, from any thread.
void deliver_reply(pending_reply& slot, message_ref reply);
/// True until a reply was given or the server exited.
bool reply_pending(const pending_reply& slot) noexcept;

/// A local caller unboxes its reply.
template <class R>
message_ref boxed_reply(R&& value) {
  return boxed_message(box_maker::of(std::move(value)));
}

/// A caller on another node gets the bare value, which CAF serialises (its type is registered
/// with the node's message types). Defined where those are (otp/detail/remote_dispatch.hpp):
/// only the dispatch of a request from another node, generated there, replies bare.
template <class R>
message_ref bare_reply(R&& value);

}  // namespace detail

/// The caller of a `handle_call`, for a reply given later (OTP's `From` and `gen_server:reply/2`).
///
/// Keep a copy, return `otp::noreply()`, and call `reply(value)` from any later callback or from
/// any thread. Only the first reply counts. If the server exits first, the caller gets a
/// `call_error` with the exit reason at once, not at its timeout.
template <class R>
class from {
 public:
  using wrap_fn = detail::message_ref (*)(R&&);

  from() = default;
  explicit from(std::shared_ptr<detail::pending_reply> slot, wrap_fn wrap = &detail::boxed_reply<R>)
    : slot_(std::move(slot)), wrap_(wrap) {}

  /// Delivers the reply; returns false when a reply was already given (or the server exited).
  bool reply(R value) const {
    if (!slot_ || !detail::claim_reply(*slot_))
      return false;
    detail::deliver_reply(*slot_, wrap_(std::move(value)));
    return true;
  }

  /// True while the caller still waits for this reply.
  bool pending() const noexcept { return slot_ && detail::reply_pending(*slot_); }

 private:
  std::shared_ptr<detail::pending_reply> slot_;
  wrap_fn wrap_ = &detail::boxed_reply<R>;
};

}  // namespace otp
