#pragma once

// Erlang's process BIFs for code running inside a caf-otp process (a gen_server callback, a
// process started with `otp::spawn`): self(), send, send_after, cancel_timer, monitor, link,
// trap_exit, exit, sleep. With spawn (otp/spawn.hpp) and receive (otp/receive.hpp).

#include "otp/detail/boxed.hpp"
#include "otp/detail/info_check.hpp"
#include "otp/detail/timer_state.hpp"
#include "otp/exit_reason.hpp"
#include "otp/messages.hpp"
#include "otp/pid.hpp"
#include "otp/receive.hpp"
#include "otp/spawn.hpp"
#include "otp/timeout.hpp"

#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

namespace otp {

class node;

/// The pid of the calling process (`self()`). Throws `std::logic_error` outside a process.
pid self();

/// The node of the calling process. Throws `std::logic_error` outside a process.
node& this_node();

/// A running `send_after` timer, for `cancel_timer`.
class timer_ref {
 public:
  timer_ref() = default;
  explicit timer_ref(std::shared_ptr<detail::timer_state> s) : state_(std::move(s)) {}

  /// True until the timer fired or was cancelled.
  bool active() const noexcept {
    return state_ && state_->state.load() == detail::timer_state::pending;
  }

 private:
  friend bool cancel_timer(const timer_ref& t) noexcept;
  std::shared_ptr<detail::timer_state> state_;
};

/// Cancels the timer; true if it had not fired yet (its message will never be handled).
bool cancel_timer(const timer_ref& t) noexcept;

namespace detail {
/// Sends the message `(box<T>)` that `msg` builds (src/process/process.cpp).
void send_boxed(const pid& dest, box_maker msg);
/// The same after `delay`, unless `state`'s timer is cancelled first.
void send_boxed_after(timeout delay, const pid& dest, std::shared_ptr<timer_state> state,
                      box_maker msg);
}  // namespace detail

/// `Dest ! Msg`: the destination's `handle_info` gets `msg` (list its type in `info_types`).
template <class T>
void send(const pid& dest, T&& msg) {
  detail::send_boxed(dest, detail::box_maker::of(std::forward<T>(msg)));
}

/// The same to a server whose type is known: a message it cannot take is a compile-time error
/// (a send to its plain `pid` compiles, and the server logs the message as unexpected).
template <class S, class T>
void send(const server_ref<S>& dest, T&& msg) {
  static_assert(detail::accepts_info<S, std::decay_t<T>>,
                "otp::send: this gen_server cannot take the message in handle_info: list its "
                "type in the server's info_types and give it a handle_info overload");
  send(static_cast<const pid&>(dest), std::forward<T>(msg));
}

/// `erlang:send_after/3`: sends `msg` to `dest` after `delay`, as an info message.
template <class T>
timer_ref send_after(timeout delay, const pid& dest, T&& msg) {
  auto state = std::make_shared<detail::timer_state>();
  detail::send_boxed_after(delay, dest, state, detail::box_maker::of(std::forward<T>(msg)));
  return timer_ref{std::move(state)};
}

/// The same to a server whose type is known, checked at compile time as `send` is.
template <class S, class T>
timer_ref send_after(timeout delay, const server_ref<S>& dest, T&& msg) {
  static_assert(detail::accepts_info<S, std::decay_t<T>>,
                "otp::send_after: this gen_server cannot take the message in handle_info: list "
                "its type in the server's info_types and give it a handle_info overload");
  return send_after(delay, static_cast<const pid&>(dest), std::forward<T>(msg));
}

/// `erlang:send_after(Delay, self(), Msg)`.
template <class T>
timer_ref send_after(timeout delay, T&& msg) {
  return send_after(delay, self(), std::forward<T>(msg));
}

/// `erlang:monitor(process, Pid)`: a `down` message arrives in `handle_info` when it exits
/// (at once, with its exit reason, if it already has).
void monitor(const pid& p);
void demonitor(const pid& p);

/// `link/1` and `unlink/1`.
void link(const pid& p);
void unlink(const pid& p);

/// `process_flag(trap_exit, On)`: exit signals from linked processes arrive in `handle_info`
/// as `exit_signal` messages instead of killing the process. Returns the previous value.
bool trap_exit(bool on);

/// `exit(Pid, Reason)`: sends an exit signal. `exit_reason::kill()` cannot be trapped.
void exit(const pid& p, exit_reason reason);

/// `exit(Reason)`: ends the calling process with `reason`. A gen_server stops as if its callback
/// had returned `stop(reason)` (terminate runs); a process started with `otp::spawn` unwinds its
/// stack and exits. Throws `std::logic_error` outside a process.
[[noreturn]] void exit(exit_reason reason);

/// Waits until `p` has exited and returns its exit reason; nothing if `t` passes first (what
/// `monitor` and a receive of its `down` do in Erlang). From a plain thread (`main`, a test) or
/// from a process, which parks meanwhile.
std::optional<exit_reason> await_exit(const pid& p, timeout t = infinity);

/// `timer:sleep(T)`: inside a process, parks it for `t` (its thread runs other processes
/// meanwhile, and an exit signal that kills it ends the sleep); elsewhere, sleeps the
/// calling thread. Messages that arrive meanwhile wait in the mailbox.
void sleep(timeout t);

}  // namespace otp
