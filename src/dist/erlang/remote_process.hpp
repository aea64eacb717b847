#pragma once

// A process of an Erlang node as an `otp::pid` of ours: a CAF actor proxy that the
// distribution makes once per Erlang pid it is asked for (`distribution::process`) and keeps
// until that node goes down. What this node's ordinary operations do to it becomes Erlang's
// wire operation, so `otp::send`, `link`, `monitor` and `exit` work on it unchanged:
//
//   otp::send(p, msg)       enqueue          SEND_SENDER (the message as its term: term_types)
//   otp::link(p)            add_backlink     LINK
//   otp::unlink(p)          remove_backlink  UNLINK_ID
//   otp::monitor(p)         attach           MONITOR_P (its reference kept here)
//   otp::demonitor(p)       detach           DEMONITOR_P
//   otp::exit(p, reason)    enqueue exit_msg EXIT2 (EXIT when a linked process of ours exits)
//
// and what comes back is delivered as CAF's own signals from this actor: an EXIT as the
// `exit_msg` of a link (the linked process dies, or traps it as `exit_signal`), a
// MONITOR_P_EXIT as the monitor's `down_msg`, the node's loss as `kill_proxy(noconnection)`,
// which fires every link and monitor. A link the Erlang process made (LINK) is a CAF link
// between our process and this proxy, so it needs nothing else.

#include "dist/erlang/local_pids.hpp"
#include "dist/erlang/send_gate.hpp"
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

class remote_process final : public caf::actor_proxy, public otp::detail::foreign_process {
 public:
  remote_process(caf::actor_config& cfg, std::shared_ptr<kernel_lifeline> line,
                 std::shared_ptr<local_pids> pids, std::shared_ptr<send_gate> gate, erlang_pid p);
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

  std::shared_ptr<kernel_lifeline> line_;
  std::shared_ptr<local_pids> pids_;  // ours as Erlang sees them
  std::shared_ptr<send_gate> gate_;
  erlang_pid pid_;
  identity identity_;
  std::vector<monitor> monitors_;  // guarded by mtx_
};

}  // namespace otp::dist::erlang
