#pragma once

// `start_options::timeout` (OTP's `{timeout, Time}` start option): the start gives up on an
// init that has not returned in time. Init runs on the starting process's stack, so the bound
// is enforced where init can be interrupted: at its waits. Every wait made while a bounded init
// runs (a call, a stop, a sleep, a supervisor request, a nested start) is cut to the deadline,
// and one that reaches it throws `start_timeout`, which unwinds init; the start then kills the
// half-started server. An init that computes past its deadline without waiting is judged when it
// returns: too late is a timeout too.

#include "otp/timeout.hpp"

namespace otp::detail {

/// Thrown out of a wait inside a bounded init whose deadline has passed. Not a
/// `std::exception`: a `catch (...)` in init must rethrow it, as it must `process_exit`.
struct start_timeout {
  /// The server whose start set the deadline: a nested start whose own init is cut by its
  /// parent's deadline passes this on to the start that owns it.
  const void* owner;
};

/// `t`, cut to the start deadline of the init running here (if any); throws `start_timeout`
/// when that deadline has passed already. Called before a wait.
timeout bound_by_start_deadline(timeout t);

/// Throws `start_timeout` when the init running here has passed its start deadline. Called
/// after a wait.
void throw_if_start_deadline_passed();

/// `wait(t)` (true when what it waits for happened) with `t` cut to the start deadline of the
/// init running here; throws `start_timeout` when the wait ended at that deadline.
template <class Wait>
bool wait_within_start_deadline(timeout t, Wait&& wait) {
  bool done = wait(bound_by_start_deadline(t));
  if (!done)
    throw_if_start_deadline_passed();
  return done;
}

}  // namespace otp::detail
