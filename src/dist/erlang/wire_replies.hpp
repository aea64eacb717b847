#pragma once

// The reply address of the gen_server calls other nodes make to the servers a distribution
// serves (`distribution::serve`): one minimal actor per distribution, never scheduled, which
// is the sender of every such call. A server's reply is CAF's response to it: the server's
// own thread runs `enqueue`, which turns the reply into `{Tag, Reply}` and writes it to the
// caller's node (directly, when that connection is idle). So an incoming call costs one
// hand-off, the I/O thread's to the server, and no process, actor or message of its own.

#include "otp/dist/erlang.hpp"

#include <caf/mailbox_element.hpp>
#include <caf/message_id.hpp>
#include <caf/monitorable_actor.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <unordered_map>

namespace otp::dist::erlang {

class wire_replies final : public caf::monitorable_actor {
 public:
  using clock = std::chrono::steady_clock;
  /// Writes `{Tag, Reply}` to `to` (its node); never blocks.
  using send_fn = std::function<void(const erlang_pid& to, term message)>;

  /// A call waiting for its server's reply.
  struct call {
    erlang_pid from;
    term tag;
    distribution::reply_fn convert;
    clock::time_point deadline;  // a reply after it is dropped (serve's call_timeout)
  };

  wire_replies(caf::actor_config& cfg, send_fn send)
    : caf::monitorable_actor(cfg), send_(std::move(send)) {}

  const char* name() const override { return "otp_erlang_replies"; }

  /// The request id under which the call's reply comes back to this actor.
  caf::message_id arm(call c);
  /// Whatever the server sends back: its reply, or CAF's error (a full mailbox, a server that
  /// exited): the call is forgotten either way; only a reply in time is sent.
  void enqueue(caf::mailbox_element_ptr what, caf::execution_unit*) override;
  /// The distribution stops: late replies go nowhere.
  void stop();
  /// Calls waiting for their server's reply.
  std::size_t waiting() const;

 private:
  mutable std::mutex mtx_;
  send_fn send_;
  std::uint64_t next_ = 0;
  std::unordered_map<std::uint64_t, call> calls_;
};

}  // namespace otp::dist::erlang
