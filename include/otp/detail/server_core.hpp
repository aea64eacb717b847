#pragma once

#include "otp/action.hpp"
#include "otp/detail/awaited_replies.hpp"
#include "otp/detail/exit_request.hpp"
#include "otp/detail/process_hook.hpp"
#include "otp/detail/server_callbacks.hpp"
#include "otp/detail/waiting_process.hpp"
#include "otp/exit_reason.hpp"
#include "otp/mailbox_limit.hpp"
#include "otp/pid.hpp"
#include "otp/timeout.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/response_promise.hpp>

#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <typeinfo>
#include <vector>

namespace otp {
class node;
struct server_status;
}  // namespace otp

namespace otp::detail {

class process_task;
class server_core;

/// What a call or cast carries besides its request: a call or cast is the message
/// `(dispatch_ref, box<T>)`. The caller's side knows the server's type and the request's type,
/// so it sends the function that hands the request to the right `handle_call` overload: no
/// registration, no type list.
struct dispatch {
  const void* tag;
  bool call;
  /// Runs the handler; a callback's exception crashes the server inside (never thrown out).
  caf::result<caf::message> (*invoke)(server_core&, void* payload);
  std::string (*describe)(const void* payload);
};

struct dispatch_ref {
  const dispatch* d;
};

/// A deferred reply (`From` in OTP). Shared by the `from<R>` the user keeps and the server, which
/// fails every reply still pending when it exits, so no caller waits for a dead server.
struct pending_reply {
  caf::response_promise promise;
  server_core* owner = nullptr;
  caf::strong_actor_ptr owner_ref;
  std::atomic<bool> done{false};

  /// True for the first caller only: a reply is delivered at most once.
  bool claim() noexcept { return !done.exchange(true, std::memory_order_acq_rel); }

  /// Sends the reply, from any thread. CAF's promise schedules the caller through the
  /// server's own scheduler thread, which is only right on that thread.
  void deliver(caf::message msg);
};

/// The generic gen_server loop over a CAF event-based actor: dispatch, results, timeouts,
/// `sys` introspection, trapping exits, crash reports and clean-up. Its callbacks run on a
/// stack of the process's own, so that a wait inside them parks the process, not the thread
/// (`waiting_process`).
class server_core : public caf::event_based_actor, public process_hook, public waiting_process {
 public:
  explicit server_core(caf::actor_config& cfg);
  ~server_core() override;

  // -- start-up: called by the starting thread before the process has run --------------------

  void bind(std::unique_ptr<server_callbacks> callbacks, std::string name, bool trace);
  /// A socket server connection was attached to this process: the observer shows it as one.
  void note_connection() noexcept { connection_.store(true, std::memory_order_relaxed); }
  /// Records init's result: arms its timeout or queues its continue, and lets the process run.
  void started(action next);
  /// Bounds the mailbox (before the process runs).
  void limit_mailbox(const mailbox_limit& limit);
  /// Init failed (or the starting process was killed while init waited): forget the name and
  /// end the process, which never ran, with `reason`, as an Erlang process whose init failed.
  void abandon(const exit_reason& reason);
  /// Bounds init by `t` (`start_options::timeout`), and by the deadline of `starter`'s own
  /// init when `starter` is a server in a bounded init and its deadline is nearer.
  void bound_init(timeout t, server_core* starter);
  /// After init (however it ended): lifts the bound; true when init ran past a deadline its
  /// own start set.
  bool init_overran();
  /// `t`, cut to this process's start deadline while it is in a bounded init; throws
  /// `start_timeout` once that deadline has passed (see start_deadline.hpp).
  timeout cut_to_start_deadline(timeout t);

  // -- used by the generated dispatch -------------------------------------------------------

  server_callbacks* callbacks() noexcept { return callbacks_.get(); }

  /// A deferred reply for the request being handled (OTP's `From`).
  std::shared_ptr<pending_reply> make_pending_reply();
  /// Applies a callback's action: continue (now) or arm the inactivity timeout.
  void apply(action& next);
  /// Stops with `reason`: terminate, report, fail pending replies, quit — unless the server
  /// defers its stop (see `server_callbacks::defer_stop`).
  void stop_with(const exit_reason& reason);
  /// Ends a deferred stop.
  void complete_stop(const exit_reason& reason);
  /// While held, calls and casts wait in the mailbox; infos are still handled. A supervisor
  /// holds requests while it waits for children to stop, as OTP's blocks in a receive.
  void hold_requests(bool on);
  /// Sends `msg` to `dest` as a request; `on_reply` runs in this process with the reply, or
  /// with an error (`caf::error`) if `t` passes first or `dest` is gone. `gen_server::async_call`.
  void request_async(const caf::actor& dest, caf::message msg, timeout t,
                     awaited_replies::handler on_reply);
  /// False for processes that have no callbacks to run a reply in (plain processes).
  virtual bool runs_reply_callbacks() const noexcept { return true; }
  /// The node's clock: virtual under the test kit.
  caf::actor_clock::time_point now() { return clock().now(); }
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

  // -- introspection ------------------------------------------------------------------------

  const std::string& registered_name() const noexcept;
  /// The registered name, or the pid: how reports name this process.
  std::string display_name();
  otp::node& home() noexcept;
  // Atomic: a sender's thread reads it when it notes an exit signal on arrival (`enqueue`).
  bool trap_exit() const noexcept { return trap_exit_.load(std::memory_order_relaxed); }
  void trap_exit(bool on) noexcept { trap_exit_.store(on, std::memory_order_relaxed); }
  otp::pid pid_of_self();
  void set_parent(const caf::actor_addr& parent) { parent_ = parent; }
  /// A supervisor keeps its children in its own table instead of CAF links: CAF stores links
  /// in a list that every child's exit scans, which makes large pools quadratic. The
  /// supervisor's exit reaches its children from `server_callbacks::exiting` instead.
  void mark_supervisor() noexcept { supervisor_ = true; }
  bool is_supervisor() const noexcept { return supervisor_; }

  /// What another thread may read about this process while it runs (the observer): only
  /// atomics, loaded relaxed; the fields that are no atomics are read after `running_`'s
  /// acquire, which orders them after their one write before the process ran.
  struct probe {
    std::uint64_t handled = 0;  ///< calls, casts and infos handled
    std::int64_t mailbox = -1;  ///< messages queued: bounded mailboxes only, else -1
    bool started = false;       ///< init has returned
    bool waiting = false;       ///< parked in a wait (a call from a callback, a receive)
    bool supervisor = false;
    bool plain = false;
    bool suspended = false;   ///< held by sys::suspend
    bool idle = false;        ///< no message queued, not running: CAF's mailbox is blocked
    bool connection = false;  ///< it owns a socket server connection (its handler)
    const std::type_info* module = nullptr;  ///< the callbacks' type (static storage)
    std::uint32_t state_bytes = 0;           ///< sizeof the callbacks object (the server's state)
    std::uint32_t parked_bytes = 0;          ///< a parked wait's frames on its stack
  };
  probe read_probe() const noexcept;

  /// The process running on this thread, or null outside caf-otp processes.
  static server_core* current() noexcept;
  /// The process whose stack runs on this thread (a child's init runs on its starter's).
  static server_core* stack_owner() noexcept;

  // -- a call made on this process's stack (detail::request) --------------------------------

  /// Prepares for the reply to a request this process is about to send with itself as the
  /// sender: its response is taken out of the mailbox's way and wakes the process.
  caf::message_id arm_call(std::uint64_t request_number, bool urgent);
  /// Ends the call's wait: its reply, if it came; a later one is dropped.
  std::optional<caf::message> disarm_call();

  // -- CAF hooks ----------------------------------------------------------------------------

  caf::behavior make_behavior() override;
  void on_exit() override;
  bool cleanup(caf::error&& reason, caf::execution_unit* host) override;
  void enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit* host) override;
  caf::invoke_message_result consume(caf::mailbox_element& x) override;
  using caf::event_based_actor::consume;
  resume_result resume(caf::execution_unit* ctx, std::size_t max_throughput) override;

  // -- waiting (see waiting_process) --------------------------------------------------------

  /// What a process's stack keeps about itself (defined with the process's code).
  struct fiber_frame;
  /// A turn parked in a wait (defined with the process's code).
  struct parked_state;
  /// The reply a call on this process's stack waits for (defined with the process's code).
  struct call_slot;

  void prepare_wait() noexcept override;
  void suspend(timeout t) override;
  void wake() noexcept override;

  /// Runs `task` on the calling thread at once if the process is idle (nobody runs it and its
  /// mailbox is empty), as if `ctx` had resumed the process for a message carrying the task,
  /// but without the message. Returns false, having done nothing, when the process is busy,
  /// has messages waiting, is suspended or stopping: send the task then.
  bool run_if_idle(process_task& task, std::uint32_t event, caf::execution_unit* ctx);

  /// Makes `self` the current process of this thread until the guard goes out of scope.
  class scope {
   public:
    explicit scope(server_core* self) noexcept;
    ~scope();
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;

   private:
    server_core* previous_;
  };

 protected:
  // -- the process's own stack, for processes that run it their own way (plain_process) ----

  /// What runs on the process's stack for one turn: CAF's resume, or an I/O task.
  using stack_body = std::uint8_t (*)(server_core&, std::uintptr_t);
  /// `run_on_own_stack` returns this (no resume_result) when the turn parked in a wait...
  static constexpr std::uint8_t parked_marker = 0xfe;
  /// ... and an I/O task this when it ran through without waiting.
  static constexpr std::uint8_t inline_marker = 0xff;
  /// Runs `body` on a new stack, or goes on with the stack parked in a wait, until it ends or
  /// parks again; returns the body's result or `parked_marker`.
  std::uint8_t run_on_own_stack(caf::execution_unit* ctx, stack_body body, std::uintptr_t arg);
  /// A woken process is made runnable here: by default it is scheduled (nothing else runs it
  /// while it is parked in the middle of a turn).
  virtual void schedule_woken();
  /// Marks a parked wait as over without scheduling: the caller goes on with it at once.
  /// True when the process is parked and woken (so `run_on_own_stack` goes on with it).
  bool take_parked() noexcept;
  /// True when a wake has ended the wait the process is parked in.
  bool wait_woken() const noexcept;
  /// An exit signal that kills the process: its wait, now or the next, throws `process_exit`.
  void kill_in_wait(exit_reason reason);
  /// An exit signal noted on arrival turned out trapped when handled: its wait goes on.
  void forget_trapped_exit() noexcept;
  /// A deadline timer reached the mailbox: no wait was on when it fired.
  void wait_deadline_passed(std::int64_t at);

 private:
  caf::invoke_message_result consume_message(caf::mailbox_element& x);
  // -- a bounded mailbox (mailbox_limit) --------------------------------------------------
  /// In `enqueue`: counts `x` in, or refuses it (false) when the mailbox is full.
  bool admit(caf::mailbox_element& x, caf::execution_unit* host);
  /// In `consume`: true when `x` was dropped as the oldest, or the process exited overfull.
  bool drop_on_arrival(caf::mailbox_element& x);
  void note_dequeued() noexcept;
  void refuse(caf::mailbox_element& x, caf::execution_unit* host);
  std::size_t high_water() const noexcept;
  caf::result<caf::message> on_message(caf::message_view& msg);
  static bool is_request_envelope(const caf::type_erased_tuple& xs) noexcept;
  caf::result<caf::message> dispatch_request(caf::type_erased_tuple& xs);
  const dispatch* find_dispatch(const caf::type_erased_tuple& xs, bool& is_call);
  void consume_awaited_reply(caf::mailbox_element& x, awaited_replies::handler& on_reply);
  /// Out of line: it runs after the callback, which may wait with this frame under it.
  [[gnu::noinline]] void send_reply(caf::mailbox_element& x, caf::result<caf::message>& result);
  void on_reply_deadline();
  void arm_reply_timer();
  void on_down(caf::down_msg& msg);
  void on_exit_msg(caf::exit_msg& msg);
  void on_idle_timeout(std::uint64_t generation);
  void crash(const exit_reason& reason);
  /// Inside a catch: crashes with the exception's reason; rethrows `process_exit` (killed
  /// while waiting: it unwinds to the process's top).
  [[gnu::noinline]] void crash_from_current_exception();
  void finish_stop(const exit_reason& reason);
  caf::behavior system_behavior();
  void report_crash(const exit_reason& reason);
  void replay_deferred();
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

  void bounce_buffered();

  // -- the process's own stack ----------------------------------------------------------------

  static std::uint8_t run_io_job(server_core& self, std::uintptr_t arg);
  /// A parked process whose stack was busy when it was woken: the stack is free now.
  static void reschedule_parked(void* owner);
  /// In `enqueue`, while the process waits: true when `x` is the reply its call waits for.
  bool take_call_reply(caf::mailbox_element& x);
  /// In `enqueue`, while the process waits: an exit signal that kills it ends the wait.
  void note_exit_signal(const caf::mailbox_element& x);
  /// A wait's deadline timer came (`wait_deadline_atom`); true if it was one.
  bool on_wait_deadline(const caf::mailbox_element& x);
  void arm_wait_deadline(caf::actor_clock::time_point deadline);
  void throw_if_killed();

  // Until init has returned, the process must not run: a message would start it on a
  // scheduler thread while init still runs on the starting thread. Messages that arrive that
  // early (a child's down during a supervisor's start, a cast by name) wait here.
  // (`running_` and `buffer_lock_` sit with the flags at the end, where they fill padding.)
  std::unique_ptr<std::vector<caf::mailbox_element_ptr>> buffered_;

  /// What only some processes use (a name, a parent, deferred replies, a suspension), kept
  /// out of line: an idle server costs little more than its CAF actor.
  struct cold_state {
    std::string name;
    std::vector<std::shared_ptr<pending_reply>> pending;
    std::vector<caf::message> deferred;
    awaited_replies awaited;
    awaited_replies::time_point reply_timer_at = awaited_replies::never;  // the one armed
    action initial;
    // A timed wait (a call from a callback): its deadline, and the process's one timer.
    caf::actor_clock::time_point wait_deadline{};  // {} when no timed wait is on
    caf::actor_clock::time_point wait_timer_at{};  // the earliest timer armed; {} for none
    // A bounded mailbox: read by senders on their threads, set before the process runs.
    mailbox_limit limit;
    std::atomic<std::size_t> drop_debt{0};  // drop_oldest: messages to drop at the head
    std::atomic<std::uint64_t> dropped{0};
    std::atomic<bool> high_water_logged{false};
    std::atomic<bool> overflow_logged{false};
    std::atomic<bool> overflowed{false};  // crash: exit before the next message
    // A bounded init (start_options::timeout): its deadline and the start that set it.
    caf::actor_clock::time_point start_deadline{};
    const void* start_deadline_owner = nullptr;  // null when init is not bounded
  };

  cold_state& cold();

  std::unique_ptr<server_callbacks> callbacks_;
  caf::strong_actor_ptr keepalive_;
  std::unique_ptr<cold_state> cold_;
  caf::actor_addr parent_;
  // Written by the process only, read by the observer from any thread: relaxed atomics, whose
  // load and store cost what a plain increment does (no read-modify-write).
  static void bump(std::atomic<std::uint64_t>& n) noexcept {
    n.store(n.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  std::atomic<std::uint64_t> calls_{0};
  std::atomic<std::uint64_t> casts_{0};
  std::atomic<std::uint64_t> infos_{0};
  std::uint32_t timeout_generation_ = 0;  // wraps harmlessly: only equality is tested
  std::atomic<bool> running_{false};
  std::atomic_flag buffer_lock_ = ATOMIC_FLAG_INIT;
  bool timeout_armed_ = false;
  std::atomic<bool> trap_exit_{false};
  std::atomic<bool> suspended_{false};  // atomic for read_probe (the observer)
  bool trace_ = false;
  bool stopping_ = false;
  bool deferring_stop_ = false;
  bool holding_ = false;
  bool reply_deferred_ = false;  // a `from` exists for the request being handled
  bool supervisor_ = false;
  bool tracked_ = false;  // counted by the node until cleanup (node_access::finished)
  bool bounded_ = false;  // a mailbox_limit applies; `queued_` counts the mailbox
  std::atomic<std::uint32_t> queued_{0};
  std::atomic<std::uint8_t> wait_state_{0};        // idle, waiting, parked, woken
  std::atomic_flag wait_lock_ = ATOMIC_FLAG_INIT;  // guards the wait's deadlines (cold)
  // For read_probe (the observer), relaxed; here they fill padding before the pointers.
  std::atomic<bool> connection_{false};         // written by note_connection
  std::atomic<std::uint32_t> parked_bytes_{0};  // written by a park
  std::unique_ptr<parked_state> parked_;        // the turn parked in a wait, to go on with
  // Made by the process's first call, read by senders once a wait is on: hence atomic.
  std::atomic<call_slot*> call_slot_{nullptr};       // owned; deleted with the process
  std::atomic<exit_reason*> pending_exit_{nullptr};  // an exit signal that ends the wait
  std::atomic<const module_info*> module_{nullptr};  // written by bind; for read_probe
};

// -- inline implementations ------------------------------------------------------------------

template <class F>
bool server_core::guarded(F&& f) {
  // The handling is out of line: this frame sits under every wait of a callback, and a
  // waiting process's frames are what its waiting costs.
  try {
    f();
    return true;
  } catch (...) {
    crash_from_current_exception();
  }
  return false;
}

}  // namespace otp::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otp::detail::dispatch_ref)
