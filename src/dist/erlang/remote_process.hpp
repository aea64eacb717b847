#pragma once

// A process of an Erlang node as an `otp::pid` of ours: a CAF actor proxy that the
// distribution makes once per Erlang pid it is asked for (`distribution::process`) and keeps
// while it is referred to (a pid of it held, a link, a monitor) or until that node goes down. What
// this node's ordinary operations do to it becomes Erlang's wire operation, so `otp::send`, `link`,
// `monitor` and `exit` work on it unchanged:
//
//   otp::send(p, msg)       enqueue          SEND_SENDER (the message as its term: term_types)
//   otp::link(p)            add_backlink     LINK
//   otp::unlink(p)          remove_backlink  UNLINK_ID
//   otp::monitor(p)         attach           MONITOR_P (its reference kept here)
//   otp::demonitor(p)       detach           DEMONITOR_P
//   otp::exit(p, reason)    enqueue exit_msg EXIT2 (EXIT when a linked process of ours exits)
//   gen_server::call(p, r)  call             MONITOR_P, {'$gen_call', {From, Ref}, Term}
//   gen_server::cast(p, r)  cast             {'$gen_cast', Term}
//
// and what comes back is delivered as CAF's own signals from this actor: an EXIT as the
// `exit_msg` of a link (the linked process dies, or traps it as `exit_signal`), a
// MONITOR_P_EXIT as the monitor's `down_msg`, the node's loss as `kill_proxy(noconnection)`,
// which fires every link and monitor. A link the Erlang process made (LINK) is a CAF link
// between our process and this proxy, so it needs nothing else.

#include "dist/erlang/local_pids.hpp"
#include "dist/erlang/pending_calls.hpp"
#include "dist/erlang/send_gate.hpp"
#include "process/foreign_server.hpp"
#include "runtime/foreign_process.hpp"

#include "otp/dist/erlang.hpp"

#include <caf/actor_proxy.hpp>
#include <caf/attachable.hpp>

#include <memory>
#include <mutex>
#include <vector>

namespace otp::dist::erlang {

/// What a distribution's proxies and exit functors reach it through: cleared before the
/// distribution stops, so that a handle used after it finds nobody.
struct kernel_lifeline {
  std::mutex mtx;
  distribution::impl* self = nullptr;
};

class remote_process final : public caf::actor_proxy,
                             public otp::detail::foreign_process,
                             public otp::detail::foreign_server {
 public:
  remote_process(caf::actor_config& cfg, std::shared_ptr<kernel_lifeline> line,
                 std::shared_ptr<local_pids> pids, std::shared_ptr<send_gate> gate,
                 std::shared_ptr<pending_calls> calls, erlang_pid p);
  ~remote_process() override;

  const erlang_pid& erlang_id() const noexcept { return pid_; }
  const identity& foreign_identity() const noexcept override { return identity_; }
  const char* name() const override { return "erlang_process"; }

  // -- what our processes do to it (any thread) --------------------------------------------------
  void enqueue(caf::mailbox_element_ptr what, caf::execution_unit* host) override;
  bool add_backlink(caf::abstract_actor* x) override;
  bool remove_backlink(caf::abstract_actor* x) override;
  void attach(caf::attachable_ptr ptr) override;
  size_t detach(const caf::attachable::token& what) override;
  void kill_proxy(caf::execution_unit* host, caf::error reason) override;
  /// Whether the distribution's table may let it go: nothing but the table refers to it, and
  /// nothing of ours is attached to it (a link, a monitor, an exit watch). Under the table's
  /// lock.
  bool unused();

  // -- gen_server calls and casts through its pid (remote_call.cpp; any thread)
  // --------------------
  /// Erlang's gen:call to it: the request's term (term_types) as `{'$gen_call', {From, Ref},
  /// Term}` under a monitor, the caller parked (a process) or blocked (a plain thread) until
  /// `{Ref, Reply}` or the monitor's exit; the reply converted to the call's reply type.
  expected<otp::detail::message_ref, call_error> call(const otp::detail::dispatch& d,
                                                      otp::detail::box_maker request,
                                                      timeout t) override;
  /// `{'$gen_cast', Term}`, as a message to it.
  void cast(const otp::detail::dispatch& d, otp::detail::box_maker request) override;

  // -- what its node tells us (the I/O thread) ---------------------------------------------------
  /// MONITOR_P_EXIT for `ref`: that monitor's `down_msg`, with `reason`.
  void monitor_exited(const erlang_ref& ref, const caf::error& reason);
  /// EXIT to our process `local`: the link between them is gone, and `local` gets the exit
  /// signal from this process, as from a linked process of ours.
  void link_exited(caf::abstract_actor* local, caf::error reason);

 private:
  struct monitor {
    erlang_ref ref;
    caf::attachable_ptr down;  // CAF's monitor: sends the observer its down_msg
    erlang_pid observer;
  };
  /// Calls `f(kernel)` if the distribution still runs (under its lifeline's lock: `f` must
  /// not wait); false when it is gone.
  template <class F>
  bool with_kernel(F&& f);
  /// Logged as the distribution logs (nothing once it is gone).
  void notice(std::string text);
  /// The request of a call or cast as its term, or why it has none.
  static expected<term, std::string> request_term(otp::detail::box_maker request);
  /// The call on the wire and its wait: the reply's term, or the call's error.
  expected<term, call_error> call_term(term request, timeout t);
  /// SEND_SENDER of `message` to it, from the calling process (our null pid outside one),
  /// held back by the send gate as any message.
  void send_term(term message, const caf::strong_actor_ptr& sender);

  std::shared_ptr<kernel_lifeline> line_;
  std::shared_ptr<local_pids> pids_;  // ours as Erlang sees them
  std::shared_ptr<send_gate> gate_;
  std::shared_ptr<pending_calls> calls_;  // the distribution's: calls wait there
  erlang_pid pid_;
  identity identity_;
  std::vector<monitor> monitors_;  // guarded by mtx_
};

template <class F>
bool remote_process::with_kernel(F&& f) {
  std::lock_guard guard{line_->mtx};
  if (line_->self == nullptr)
    return false;
  f(*line_->self);
  return true;
}

}  // namespace otp::dist::erlang
