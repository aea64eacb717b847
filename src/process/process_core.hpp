#pragma once

// The process layer (what Erlang's runtime and proc_lib give every process): a mailbox that
// may be bounded, the start that holds messages back until init has returned, a name, a
// parent, trapping exits, exit signals that end a wait, and a stack of its own on which a wait
// parks the process instead of blocking its thread. gen_server (`server_core`) and plain
// processes (`plain_process`) are the two kinds of process built on it; supervisors, the
// socket server's processes and net_kernel are gen_servers (special processes: see
// special_process.hpp).

#include "otp/detail/process_hook.hpp"
#include "otp/detail/waiting_process.hpp"
#include "otp/exit_reason.hpp"
#include "otp/mailbox_limit.hpp"
#include "otp/pid.hpp"
#include "otp/timeout.hpp"

#include <caf/event_based_actor.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <typeinfo>
#include <vector>

namespace otp {
class node;
}  // namespace otp

namespace otp::detail {

class process_task;

class process_core : public caf::event_based_actor, public process_hook, public waiting_process {
 public:
  ~process_core() override;

  // -- start-up: called by the starting thread before the process has run --------------------

  /// Bounds the mailbox (before the process runs).
  void limit_mailbox(const mailbox_limit& limit);
  /// Bounds init by `t` (`start_options::timeout`), and by the deadline of `starter`'s own
  /// init when `starter` is in a bounded init and its deadline is nearer.
  void bound_init(timeout t, process_core* starter);
  /// After init (however it ended): lifts the bound; true when init ran past a deadline its
  /// own start set.
  bool init_overran();
  /// `t`, cut to this process's start deadline while it is in a bounded init; throws
  /// `start_timeout` once that deadline has passed (see start_deadline.hpp).
  timeout cut_to_start_deadline(timeout t);
  void set_parent(const caf::actor_addr& parent) { parent_ = parent; }
  /// A socket server connection was attached to this process: the observer shows it as one.
  void note_connection() noexcept { connection_.store(true, std::memory_order_relaxed); }

  // -- identity -----------------------------------------------------------------------------

  const std::string& registered_name() const noexcept;
  /// The registered name, or the pid: how reports name this process.
  std::string display_name();
  otp::node& home() noexcept;
  otp::pid pid_of_self();
  // Atomic: a sender's thread reads it when it notes an exit signal on arrival (`enqueue`).
  bool trap_exit() const noexcept { return trap_exit_.load(std::memory_order_relaxed); }
  void trap_exit(bool on) noexcept { trap_exit_.store(on, std::memory_order_relaxed); }
  /// The node's clock: virtual under the test kit.
  caf::actor_clock::time_point now() { return clock().now(); }
  /// A gen_server (`server_core`), not a plain process.
  bool is_server() const noexcept { return server_; }
  /// True while the process runs its way out (a gen_server in terminate): it handles nothing
  /// more, and an overfull mailbox does not end it a second time.
  virtual bool is_stopping() const noexcept { return false; }
  /// Ends the process from inside it with `reason`, its own way: a gen_server stops
  /// (terminate runs), a plain process's function unwinds. For the machinery (a socket
  /// whose events nobody handles), not for exit signals.
  virtual void exit_now(const exit_reason& reason) = 0;

  /// The process running on this thread, or null outside caf-otp processes.
  static process_core* current() noexcept;
  /// The process whose stack runs on this thread (a child's init runs on its starter's).
  static process_core* stack_owner() noexcept;

  /// Makes `self` the current process of this thread until the guard goes out of scope.
  class scope {
   public:
    explicit scope(process_core* self) noexcept;
    ~scope();
    scope(const scope&) = delete;
    scope& operator=(const scope&) = delete;

   private:
    process_core* previous_;
  };

  // -- introspection ------------------------------------------------------------------------

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
  /// The process layer's part; a gen_server adds its own.
  virtual probe read_probe() const noexcept;

  // -- a call made on this process's stack (detail::request) --------------------------------

  /// Prepares for the reply to a request this process is about to send with itself as the
  /// sender: its response is taken out of the mailbox's way and wakes the process.
  caf::message_id arm_call(std::uint64_t request_number, bool urgent);
  /// Ends the call's wait: its reply, if it came; a later one is dropped.
  std::optional<caf::message> disarm_call();

  // -- tasks for its sockets (process_tasks.cpp) ----------------------------------------------

  /// Runs `task` on the calling thread at once if the process is idle (nobody runs it and its
  /// mailbox is empty), as if `ctx` had resumed the process for a message carrying the task,
  /// but without the message. Returns false, having done nothing, when the process is busy,
  /// has messages waiting or takes no task now (`takes_tasks`): send the task then.
  bool run_if_idle(process_task& task, std::uint32_t event, caf::execution_unit* ctx);
  /// Handles the message `x` on the calling thread at once if the process is idle, as its
  /// next turn would handle it from the mailbox (`run_if_idle`'s conditions; a process whose
  /// mailbox is bounded takes the mailbox's path). True once it ran (`x` is consumed then: a
  /// message the process skips goes into its mailbox); false, with `x` untouched, when the
  /// process is busy or has messages waiting: enqueue it then, behind them.
  bool handle_if_idle(caf::mailbox_element_ptr& x, caf::execution_unit* ctx);
  /// From any thread: ends the wait the process is parked in without scheduling it, and
  /// makes the caller the one that must run it (`run_claimed`). False when it is not parked
  /// (running, about to park, or woken already): `wake` it then.
  bool claim_parked() noexcept;
  /// Runs a process `claim_parked` gave the caller: through `ctx`, which may run it on the
  /// calling thread at once (an I/O thread's executor) or hand it to the scheduler.
  void run_claimed(caf::execution_unit* ctx) { schedule_woken(ctx); }

  // -- waiting (see waiting_process) --------------------------------------------------------

  /// What a process's stack keeps about itself (process_stack.cpp).
  struct fiber_frame;
  /// A turn parked in a wait (process_stack.cpp).
  struct parked_state;
  /// The reply a call on this process's stack waits for (process_stack.cpp).
  struct call_slot;

  void prepare_wait() noexcept override;
  void suspend(timeout t) override;
  void wake() noexcept override;

  // -- CAF hooks ----------------------------------------------------------------------------

  void enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit* host) override;
  /// Counts a bounded mailbox's messages out and hands each to `handle`.
  caf::invoke_message_result consume(caf::mailbox_element& x) final;
  using caf::event_based_actor::consume;
  /// Runs CAF's resume on the process's own stack, so that a wait in it parks the process.
  resume_result resume(caf::execution_unit* ctx, std::size_t max_throughput) override;
  /// The exit's steps, the same for every kind of process: its reason, the kind's last words
  /// (`before_leaving`), the node forgets it, the kind lets go of its state (`after_leaving`),
  /// the process lets go of itself.
  void on_exit() final;
  bool cleanup(caf::error&& reason, caf::execution_unit* host) override;

 protected:
  process_core(caf::actor_config& cfg, bool server);

  /// What a kind of process does with a message from its mailbox.
  virtual caf::invoke_message_result handle(caf::mailbox_element& x) = 0;
  /// Whether an I/O thread may run a task in the idle process now (`run_if_idle`): a plain
  /// process takes none there, its function's stack being parked in a wait.
  virtual bool takes_tasks() const noexcept { return false; }
  /// Runs a task in the process (a gen_server guards it as a callback).
  virtual void run_task(process_task& task, std::uint32_t event);

  // -- the start (proc_lib) -------------------------------------------------------------------

  /// init has returned: the process lives until it exits (it holds itself), the node counts
  /// it, and what arrived during init is released, in order, before anything that comes later.
  void begin_running();
  /// The process never ran and never will (its init failed): it exits with `reason` here, as
  /// CAF ends a process, and what was sent to it meanwhile is refused.
  void end_unstarted(const exit_reason& reason);
  /// Gives up the registered name.
  void forget_name();
  /// The reason the process exits with, as Erlang's links carry it (`kill` arrives as
  /// `killed`); set in `on_exit`.
  exit_reason exit_reason_now();
  /// At exit, while the process still has its name: what this kind of process owes others
  /// (answers to requests it will never handle, its callbacks' last word).
  virtual void before_leaving(const exit_reason&) {}
  /// At exit, once the node has forgotten the process: this kind lets go of its state.
  virtual void after_leaving() {}
  bool has_started() const noexcept { return running_.load(std::memory_order_acquire); }

  // -- a bounded mailbox (mailbox_bound.cpp) ----------------------------------------------------

  bool bounded() const noexcept { return bounded_; }
  std::size_t queued() const noexcept { return queued_.load(std::memory_order_relaxed); }
  std::uint64_t dropped() const noexcept;
  std::size_t mailbox_max() const noexcept;

  // -- exit signals ---------------------------------------------------------------------------

  /// An exit signal that kills the process: its wait, now or the next, throws `process_exit`.
  void kill_in_wait(exit_reason reason);
  /// An exit signal noted on arrival turned out trapped when handled: its wait goes on.
  void forget_trapped_exit() noexcept;
  const caf::actor_addr& parent() const noexcept { return parent_; }

  // -- the process's own stack (process_stack.cpp) -------------------------------------------

  /// What runs on the process's stack for one turn: CAF's resume, or an I/O task.
  using stack_body = std::uint8_t (*)(process_core&, std::uintptr_t);
  /// `run_on_own_stack` returns this (no resume_result) when the turn parked in a wait...
  static constexpr std::uint8_t parked_marker = 0xfe;
  /// ... and an I/O task this when it ran through without waiting.
  static constexpr std::uint8_t inline_marker = 0xff;
  /// Runs `body` on a new stack, or goes on with the stack parked in a wait, until it ends or
  /// parks again; returns the body's result or `parked_marker`.
  std::uint8_t run_on_own_stack(caf::execution_unit* ctx, stack_body body, std::uintptr_t arg);
  /// True when the turn running on this thread's process stack has waited at least once.
  static bool turn_has_parked() noexcept;
  /// A woken process is made runnable here: by default it is scheduled (nothing else runs it
  /// while it is parked in the middle of a turn), through `ctx` when there is one.
  virtual void schedule_woken(caf::execution_unit* ctx = nullptr);
  /// Marks a parked wait as over without scheduling: the caller goes on with it at once.
  /// True when the process is parked and woken (so `run_on_own_stack` goes on with it).
  bool take_parked() noexcept;
  /// True when a wake has ended the wait the process is parked in.
  bool wait_woken() const noexcept;
  /// A deadline timer reached the mailbox: no wait was on when it fired.
  void wait_deadline_passed(std::int64_t at);

  /// What only some processes use, kept out of line: an idle process costs little more than
  /// its CAF actor. A gen_server's holds more (`server_core::server_cold`).
  struct cold_state {
    virtual ~cold_state() = default;
    std::string name;
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
  cold_state* cold_if_any() const noexcept { return cold_.get(); }
  /// Makes the cold state of this kind of process.
  virtual std::unique_ptr<cold_state> make_cold() const;

 private:
  /// Leaves the node: gives up the name, and the node counts the process no more.
  void leave_node();
  /// Lets go of itself: the last step of `on_exit`.
  void let_go() noexcept;

  // -- a bounded mailbox --------------------------------------------------------------------
  /// In `enqueue`: counts `x` in, or refuses it (false) when the mailbox is full.
  bool admit(caf::mailbox_element& x, caf::execution_unit* host);
  /// In `consume`: true when `x` was dropped as the oldest, or the process exited overfull.
  bool drop_on_arrival(caf::mailbox_element& x);
  void note_dequeued() noexcept;
  void refuse(caf::mailbox_element& x, caf::execution_unit* host);
  std::size_t high_water() const noexcept;
  void bounce_buffered();

  static std::uint8_t run_io_job(process_core& self, std::uintptr_t arg);

  // -- waiting ----------------------------------------------------------------------------------
  /// A parked process whose stack was busy when it was woken: the stack is free now.
  static void reschedule_parked(void* owner);
  /// In `enqueue`, while the process waits: true when `x` is the reply its call waits for.
  bool take_call_reply(caf::mailbox_element& x);
  /// In `enqueue`: an exit signal that kills the process ends its wait, now or the next.
  void note_exit_signal(const caf::mailbox_element& x);
  /// A wait's deadline timer came (`wait_deadline_atom`); true if it was one.
  bool on_wait_deadline(const caf::mailbox_element& x);
  void arm_wait_deadline(caf::actor_clock::time_point deadline);
  void throw_if_killed();

  // Until init has returned, the process must not run: a message would start it on a
  // scheduler thread while init still runs on the starting thread. Messages that arrive that
  // early (a child's down during a supervisor's start, a cast by name) wait here.
  std::unique_ptr<std::vector<caf::mailbox_element_ptr>> buffered_;
  caf::strong_actor_ptr keepalive_;
  std::unique_ptr<cold_state> cold_;
  caf::actor_addr parent_;
  std::unique_ptr<parked_state> parked_;  // the turn parked in a wait, to go on with
  // Made by the process's first call, read by senders once a wait is on: hence atomic.
  std::atomic<call_slot*> call_slot_{nullptr};       // owned; deleted with the process
  std::atomic<exit_reason*> pending_exit_{nullptr};  // an exit signal that ends the wait
  std::atomic<std::uint32_t> queued_{0};             // a bounded mailbox's messages
  std::atomic<std::uint32_t> parked_bytes_{0};       // a park's frames, for the observer
  std::atomic<bool> running_{false};
  std::atomic_flag buffer_lock_ = ATOMIC_FLAG_INIT;
  std::atomic<bool> trap_exit_{false};
  std::atomic<std::uint8_t> wait_state_{0};        // idle, waiting, parked, woken
  std::atomic_flag wait_lock_ = ATOMIC_FLAG_INIT;  // guards the wait's deadlines (cold)
  std::atomic<bool> connection_{false};            // written by note_connection
  bool tracked_ = false;  // counted by the node until cleanup (node_access::finished)
  // Written once, before anything else can read them (the constructor, limit_mailbox before
  // the process is known): one byte for the two, so that the fields above and these fill 16
  // bytes (a gen_server's object is what an idle child costs). `tracked_`, written once the
  // process is known to senders, has a byte of its own.
  bool bounded_ : 1 = false;  // a mailbox_limit applies; `queued_` counts the mailbox
  const bool server_ : 1;
};

}  // namespace otp::detail
