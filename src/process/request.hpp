#pragma once

#include "otp/call_error.hpp"
#include "otp/expected.hpp"
#include "otp/timeout.hpp"

#include <caf/actor.hpp>
#include <caf/message.hpp>

namespace otp::detail {

class process_core;

// The steps of `request`, out of line. `request` itself is inline: a parked process's frames
// are what its waiting costs, and a frame of its own between the caller and the wait held
// ~100 bytes more of every process blocked in a call.

/// Whether a call to `dest` fails before it is sent (no process, a request type the server's
/// node cannot read, a call to oneself, a process that has exited).
bool refused(const caf::actor& dest, const caf::message& msg);
/// The error of a call that `refused`.
expected<caf::message, call_error> refusal(const caf::actor& dest, const caf::message& msg);
/// The process whose own stack a call to `dest` from here waits on: the calling process when
/// it runs on its stack and `dest` is on its node; otherwise null (a reply actor waits).
process_core* waiting_on_own_stack(const caf::actor& dest) noexcept;
/// A call from `owner`'s stack: the process is the reply address, and the wait parks it.
expected<caf::message, call_error> request_from_process(process_core& owner, const caf::actor& dest,
                                                        caf::message&& msg, timeout t, bool urgent);
/// A call from a plain thread, or to a server on another node: a reply actor takes the reply.
expected<caf::message, call_error> request_through_sink(const caf::actor& dest, caf::message&& msg,
                                                        timeout t, bool urgent);
/// `t`, cut short by the deadline of the `init` being run (a call inside a bounded init ends
/// with it).
timeout request_timeout(timeout t);

/// Sends `msg` as a request to `dest` and waits for the response, from any thread: a plain
/// thread, a test, or a process's callback (which then parks, as an OTP call does). On a
/// deterministic node it drives the test scheduler and virtual time instead of sleeping.
/// An `urgent` request is taken before the messages already queued (CAF's high priority).
inline expected<caf::message, call_error> request(const caf::actor& dest, caf::message&& msg,
                                                  timeout t, bool urgent = false) {
  if (refused(dest, msg))
    return refusal(dest, msg);
  t = request_timeout(t);
  if (auto* owner = waiting_on_own_stack(dest))
    return request_from_process(*owner, dest, std::move(msg), t, urgent);
  return request_through_sink(dest, std::move(msg), t, urgent);
}

/// Maps a CAF error response of a call to caf-otp's typed error.
call_error to_call_error(const caf::error& e, const caf::actor& dest);

}  // namespace otp::detail
