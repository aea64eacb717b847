#pragma once

// A `send_after` timer's message as a mailbox holds it: `(timer_atom, timer_ref_box, msg)`,
// where `msg` is the message to deliver, `(box<T>)`, unless the timer was cancelled first
// (otp/detail/timer_state.hpp). The receivers (a gen_server, a plain process, the test kit's
// probe) fire the timer and deliver `msg` as if it had been sent at that moment.

#include "otp/detail/atoms.hpp"
#include "otp/detail/timer_state.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>
#include <caf/type_erased_tuple.hpp>

#include <memory>
#include <utility>

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otp::detail::timer_ref_box)

namespace otp::detail {

/// The message a timer whose state is `state` delivers as `payload`.
inline caf::message timer_message(std::shared_ptr<timer_state> state, caf::message payload) {
  return caf::make_message(timer_atom::value, timer_ref_box{std::move(state)}, std::move(payload));
}

inline bool is_timer_message(const caf::type_erased_tuple& xs) noexcept {
  return xs.size() == 3 && xs.match_element<caf::atom_value>(0)
         && xs.get_as<caf::atom_value>(0) == timer_atom::value && xs.match_element<timer_ref_box>(1)
         && xs.match_element<caf::message>(2);
}

/// For a timer's message (`is_timer_message`): fires the timer and returns the message to
/// deliver, to be moved out; null when the timer was cancelled first.
inline caf::message* fire_timer(caf::type_erased_tuple& xs) {
  if (!xs.get_as<timer_ref_box>(1).state->fire())
    return nullptr;
  return &xs.get_mutable_as<caf::message>(2);
}

}  // namespace otp::detail
