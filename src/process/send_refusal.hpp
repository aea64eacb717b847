#pragma once

#include "otp/pid.hpp"

#include <cstddef>

namespace otp::detail {

// A full mailbox whose policy is `fail_sender` tells the thread that sent: `cast` and `send`
// clear the note, enqueue, then throw `mailbox_full` if the receiver refused the message.

void clear_send_refusal() noexcept;
void note_send_refused(const pid& receiver, std::size_t max);
void throw_if_send_refused();

}  // namespace otp::detail
