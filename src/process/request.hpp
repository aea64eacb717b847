#pragma once

#include "otp/call_error.hpp"
#include "otp/expected.hpp"
#include "otp/timeout.hpp"

#include <caf/actor.hpp>
#include <caf/message.hpp>

namespace otp::detail {

/// Sends `msg` as a request to `dest` and waits for the response, from any thread: a plain
/// thread, a test, or a process's callback (which then parks, as an OTP call does). On a
/// deterministic node it drives the test scheduler and virtual time instead of sleeping.
/// An `urgent` request is taken before the messages already queued (CAF's high priority).
expected<caf::message, call_error> request(const caf::actor& dest, caf::message msg, timeout t,
                                           bool urgent = false);

/// Maps a CAF error response of a call to caf-otp's typed error.
call_error to_call_error(const caf::error& e, const caf::actor& dest);

}  // namespace otp::detail
