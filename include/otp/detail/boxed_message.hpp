#pragma once

// The CAF side of the messages the templates of a user's file build and read by handle
// (otp/detail/message_ref.hpp): a request's or a reply's box lives in the message's own
// allocation and is reached through its `box_ops` (src/process/boxed_message.cpp). For the
// library's own code that speaks CAF.

#include "otp/detail/dispatch.hpp"
#include "otp/detail/message_ref.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/message.hpp>

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otp::detail::dispatch_ref)

namespace otp::detail {

/// The message a handle holds; the handle is empty afterwards.
inline caf::message to_message(message_ref&& ref) noexcept {
  return caf::message{
    caf::message::data_ptr{static_cast<caf::detail::message_data*>(ref.release()), false}};
}

/// A handle on `msg`'s contents; `msg` is empty afterwards.
inline message_ref to_ref(caf::message&& msg) noexcept {
  return message_ref{msg.vals().release()};
}

/// A cast's mailbox element: `(dispatch_ref, box<T>)` with the box inside the element, one
/// allocation (as CAF's `make_mailbox_element` makes it).
caf::mailbox_element_ptr cast_element(caf::strong_actor_ptr sender, const dispatch& d,
                                      box_maker request);

/// Whether element `pos` of `xs` has the type `type`, CAF's built-in types included (CAF
/// reports those by number, not by `type_info`).
bool element_is(const caf::type_erased_tuple& xs, std::size_t pos, const std::type_info& type);

}  // namespace otp::detail
