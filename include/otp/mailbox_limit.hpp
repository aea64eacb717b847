#pragma once

// An optional bound on a process's mailbox, with what to do when it is full. Erlang's
// mailboxes are unbounded, and so are caf-otp's unless a server is started with a limit:
//
//     gen_server::start<worker>(node, {.mailbox = {.max = 10'000,
//                                                  .overflow =
//                                                  otp::overflow_policy::drop_oldest}});

#include "otp/pid.hpp"

#include <cstddef>
#include <stdexcept>
#include <string_view>

namespace otp {

/// What a full mailbox does with calls, casts and infos (exit signals, monitors' `down`
/// messages, replies and `sys` requests are never dropped, but count towards the length).
enum class overflow_policy {
  /// The arriving message is dropped: a call fails at once with `call_error::kind::mailbox_full`,
  /// a cast or an info is lost.
  drop_newest,
  /// The arriving message is queued and the oldest waiting one is dropped instead, when the
  /// process reaches it (a call among them fails with `mailbox_full`). If the process falls
  /// behind by another `max` messages (it is suspended, or stuck), arrivals are dropped too.
  drop_oldest,
  /// As `drop_newest`, and the sender is told: `gen_server::cast` and `otp::send` throw
  /// `otp::mailbox_full`, which crashes a sending process unless it catches it.
  fail_sender,
  /// The process exits with reason `mailbox_full` before it handles another message, as an
  /// Erlang process over its `max_heap_size` is killed. Its supervisor restarts it.
  crash,
};

std::string_view to_string(overflow_policy p) noexcept;

struct mailbox_limit {
  /// The most messages waiting at once; 0 for no limit (the default, as in Erlang).
  std::size_t max = 0;
  overflow_policy overflow = overflow_policy::drop_newest;
  /// A warning is logged (kind `mailbox_high_water`) when the length reaches this, and again
  /// only after it fell below half of it. 0: three quarters of `max`.
  std::size_t high_water = 0;
};

/// Thrown to the sender by a full mailbox whose policy is `fail_sender`.
class mailbox_full : public std::runtime_error {
 public:
  mailbox_full(otp::pid receiver, std::size_t max);
  const otp::pid& receiver() const noexcept { return receiver_; }
  std::size_t max() const noexcept { return max_; }

 private:
  otp::pid receiver_;
  std::size_t max_;
};

}  // namespace otp
