#pragma once

// gen_server's loop (OTP's gen_server.erl) on the process layer: dispatch of calls, casts and
// infos to the user's callbacks, replies, deferred replies, async calls, `{continue, C}` and
// inactivity timeouts, stopping and terminate, crash reports, and `sys` (suspend, resume,
// trace, state, status).

#include "otp/action.hpp"
#include "otp/detail/dispatch.hpp"
#include "otp/detail/exit_request.hpp"
#include "otp/detail/server_callbacks.hpp"
#include "otp/detail/server_ops.hpp"
#include "process/awaited_replies.hpp"
#include "process/pending_reply.hpp"
#include "process/process_core.hpp"

#include <atomic>
#include <cassert>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <vector>

namespace otp {
struct server_status;
}  // namespace otp

namespace otp::detail {

/// The generic gen_server loop over the process layer. Its callbacks run on a stack of the
/// process's own, so that a wait inside them parks the process, not the thread.
class server_core final : public process_core {
 public:
  explicit server_core(caf::actor_config& cfg);
  ~server_core() override;

  /// The gen_server running on this thread; null outside processes and in a plain process.
  static server_core* current() noexcept { return of(process_core::current()); }
  /// The gen_server whose callback runs on this thread: for the code of a callback module.
  static server_core& running() noexcept {
    auto* self = process_core::current();
    assert(self != nullptr && self->is_server());
    return static_cast<server_core&>(*self);
  }
  /// `p` if it is a gen_server, else null.
  static server_core* of(process_core* p) noexcept {
    return p && p->is_server() ? static_cast<server_core*>(p) : nullptr;
  }

  // -- start-up: called by the starting thread before the process has run --------------------

  void bind(std::unique_ptr<server_callbacks> callbacks, std::string name, bool trace);
  /// Records init's result: arms its timeout or queues its continue, and lets the process run.
  void started(action next);
  /// Init failed (or the starting process was killed while init waited): forget the name and
  /// end the process, which never ran, with `reason`, as an Erlang process whose init failed.
  void abandon(const exit_reason& reason);

  // -- used by the generated dispatch -------------------------------------------------------

  server_callbacks* callbacks() noexcept { return callbacks_.get(); }

  /// A deferred reply for the request being handled (OTP's `From`).
  std::shared_ptr<pending_reply> make_pending_reply();
  /// Applies a callback's action: continue (now) or arm the inactivity timeout.
  void apply(action& next);
  /// Stops with `reason`: terminate, report, fail pending replies, quit — unless the server
  /// defers its stop (`special_process::defer_stop`).
  void stop_with(const exit_reason& reason);
  /// Sends `msg` to `dest` as a request; `on_reply` runs in this process with the reply, or
  /// with an error (`caf::error`) if `t` passes first or `dest` is gone. `gen_server::async_call`.
  void request_async(const caf::actor& dest, caf::message msg, timeout t,
                     awaited_replies::handler on_reply);
  void count_call() noexcept { bump(calls_); }
  void count_cast() noexcept { bump(casts_); }
  bool tracing() const noexcept { return trace_; }
  bool stopping() const noexcept { return stopping_; }
  void trace(std::string what);
  /// `sys::trace` lines as OTP writes them: `sent R to Pid, new state S` after a reply, and
  /// `new state S` after a cast or an info.
  void trace_reply(const std::string& reply);
  void trace_new_state();

  /// Runs a user callback; an exception crashes the server with the exception as reason.
  template <class F>
  bool guarded(F&& f);

  // -- special processes (special_process.hpp) ----------------------------------------------

  /// Ends a deferred stop.
  void complete_stop(const exit_reason& reason);
  /// While held, calls and casts wait in the mailbox; infos are still handled. A supervisor
  /// holds requests while it waits for children to stop, as OTP's blocks in a receive.
  void hold_requests(bool on);
  /// A supervisor keeps its children in its own table instead of CAF links: CAF stores links
  /// in a list that every child's exit scans, which makes large pools quadratic. The
  /// supervisor's exit reaches its children from `special_process::exiting` instead.
  void mark_supervisor() noexcept { supervisor_ = true; }
  bool is_supervisor() const noexcept { return supervisor_; }

  probe read_probe() const noexcept override;
  bool is_stopping() const noexcept override { return stopping_; }
  void exit_now(const exit_reason& reason) override { stop_with(reason); }

  // -- CAF hooks ----------------------------------------------------------------------------

  caf::behavior make_behavior() override;

 protected:
  caf::invoke_message_result handle(caf::mailbox_element& x) override;
  /// Not while suspended or stopping.
  bool takes_tasks() const noexcept override;
  void run_task(process_task& task, std::uint32_t event) override;
  std::unique_ptr<cold_state> make_cold() const override;
  /// terminate's exit hook (`exiting`), and a failure to every call left pending.
  void before_leaving(const exit_reason& reason) override;
  void after_leaving() override;

 private:
  /// A gen_server's cold state: what a server needs besides the process's.
  struct server_cold : cold_state {
    std::vector<std::shared_ptr<pending_reply>> pending;
    std::vector<caf::message> deferred;  // downs and exits that came while suspended
    awaited_replies awaited;
    awaited_replies::time_point reply_timer_at = awaited_replies::never;  // the one armed
    action initial;
  };
  server_cold& cold() { return static_cast<server_cold&>(process_core::cold()); }
  server_cold* cold_if_any() const noexcept {
    return static_cast<server_cold*>(process_core::cold_if_any());
  }

  // -- the loop (server_core.cpp) -------------------------------------------------------------
  caf::result<caf::message> on_message(caf::message_view& msg);
  static bool is_request_envelope(const caf::type_erased_tuple& xs) noexcept;
  /// `(remote_call_atom | remote_cast_atom, T)`, a request from another node: 1 for a call,
  /// 2 for a cast, 0 when not one.
  static int remote_envelope(const caf::type_erased_tuple& xs) noexcept;
  handled dispatch_request(caf::type_erased_tuple& xs);
  static caf::result<caf::message> to_result(handled&& result);
  const dispatch* find_dispatch(const caf::type_erased_tuple& xs, bool& is_call);
  void consume_awaited_reply(caf::mailbox_element& x, awaited_replies::handler& on_reply);
  /// Out of line: it runs after the callback, which may wait with this frame under it.
  [[gnu::noinline]] void send_reply(caf::mailbox_element& x, handled& result);
  void on_reply_deadline();
  void arm_reply_timer();
  void on_down(caf::down_msg& msg);
  void on_exit_msg(caf::exit_msg& msg);
  void on_idle_timeout(std::uint64_t generation);
  /// Hands an info (a message, a down, an exit signal, a timeout) to the user's callback
  /// through `call`, which returns false when the server has no clause for it; `describe`
  /// names it then, in the warning.
  template <class Call, class Describe>
  void handle_info_with(Call&& call, Describe&& describe);
  void deliver_down(down& d);
  void deliver_exit(exit_signal& e);
  friend void crash_on(server_core& core, const exit_request& e);
  friend void crash_on(server_core& core, const std::exception& e);
  friend void crash_on_unknown(server_core& core);
  void crash(const exit_reason& reason);
  void finish_stop(const exit_reason& reason);
  void replay_deferred();

  // -- sys and reports (server_reports.cpp) ---------------------------------------------------
  caf::behavior system_behavior();
  void report_crash(const exit_reason& reason);
  otp::server_status status();
  /// Messages waiting in the mailbox, those skipped while suspended included.
  std::size_t mailbox_length();
  /// The message being handled: a call or cast (its request) or an info.
  struct incoming {
    enum class kind { call, cast, info } what;
    std::string text;
  };
  incoming describe_incoming();
  /// How crash reports name the last message: `{'$gen_call',Req}`, `{'$gen_cast',Req}`, Info.
  std::string describe_current();
  /// The sender of the message being handled (a call's caller).
  otp::pid current_caller();
  void trace_incoming();
  void unhandled(const std::string& what);
  std::string state_text();

  std::unique_ptr<server_callbacks> callbacks_;
  // Written by the process only, read by the observer from any thread: relaxed atomics, whose
  // load and store cost what a plain increment does (no read-modify-write).
  static void bump(std::atomic<std::uint64_t>& n) noexcept {
    n.store(n.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  std::atomic<std::uint64_t> calls_{0};
  std::atomic<std::uint64_t> casts_{0};
  std::atomic<std::uint64_t> infos_{0};
  std::atomic<const module_info*> module_{nullptr};  // written by bind; for read_probe
  std::uint32_t timeout_generation_ = 0;             // wraps harmlessly: only equality is tested
  std::atomic<bool> suspended_{false};               // atomic for read_probe (the observer)
  bool timeout_armed_ = false;
  bool trace_ = false;
  bool stopping_ = false;
  bool deferring_stop_ = false;
  bool holding_ = false;
  bool reply_deferred_ = false;  // a `from` exists for the request being handled
  bool supervisor_ = false;
};

// -- inline implementations ------------------------------------------------------------------

template <class F>
bool server_core::guarded(F&& f) {
  return detail::guarded(*this, std::forward<F>(f));
}

}  // namespace otp::detail
