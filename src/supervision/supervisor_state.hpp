#pragma once

// The supervisor process: a gen_server whose callbacks are OTP's supervisor.erl, made
// asynchronous. OTP's supervisor blocks in a receive while it stops a child; this one starts a
// `stop_job`, holds calls meanwhile, and continues when the child's down message arrives, so
// that a supervisor never blocks a scheduler thread (and nested trees never deadlock).

#include "otp/callback_result.hpp"
#include "otp/child_spec.hpp"
#include "otp/detail/special_process.hpp"
#include "otp/from.hpp"
#include "otp/messages.hpp"
#include "otp/process.hpp"
#include "otp/sup_error.hpp"
#include "otp/sup_flags.hpp"
#include "otp/supervisor.hpp"
#include "otp/types.hpp"
#include "process/server_core.hpp"

#include <caf/actor_clock.hpp>
#include <caf/message.hpp>

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

namespace otp::detail {

// -- requests and self-messages ----------------------------------------------------------------

struct sup_start_child {
  child_spec spec;
};
struct sup_start_dynamic {
  extra_args extra;
};
struct sup_terminate_child {
  std::string id;
};
struct sup_terminate_pid {
  otp::pid pid;
};
struct sup_restart_child {
  std::string id;
};
struct sup_delete_child {
  std::string id;
};
struct sup_get_childspec {
  std::string id;
};
struct sup_observe {
  otp::pid observer;
};
/// adopt_child: a child started for this supervisor on another process's stack.
struct sup_adopt {
  otp::pid child;
};
struct sup_which_children {};
struct sup_count_children {};
struct sup_get_flags {};

/// OTP's `{try_again_restart, Id}`: a failed restart is retried through the mailbox, so that
/// other messages (a shutdown, say) get their turn in between.
struct sup_try_again {
  std::string id;           // static child
  std::uint64_t dynamic{};  // simple_one_for_one child: its old pid's id
};

/// A stop job's shutdown timer.
struct sup_job_timer {
  std::uint64_t job;
};
/// A concurrent stop whose window of children told to exit has not moved for a while.
struct sup_job_stalled {
  std::uint64_t job;
};

using pid_result = expected<otp::pid, sup_error>;
using void_result = expected<void, sup_error>;

class supervisor_state : public special_process {
 public:
  using info_types = otp::types<sup_try_again, sup_job_timer, sup_job_stalled>;

  init_result init(sup_flags flags, std::vector<child_spec> specs);
  /// A supervisor module: its `init` makes the flags and children, here in the supervisor.
  init_result init(const sup_init& make);

  pid_result handle_call(const sup_start_child& r);
  pid_result handle_call(const sup_start_dynamic& r);
  call_result<void_result> handle_call(const sup_terminate_child& r, from<void_result> caller);
  call_result<void_result> handle_call(const sup_terminate_pid& r, from<void_result> caller);
  pid_result handle_call(const sup_restart_child& r);
  void_result handle_call(const sup_delete_child& r);
  expected<child_spec, sup_error> handle_call(const sup_get_childspec& r);
  std::vector<child_info> handle_call(const sup_which_children&);
  child_counts handle_call(const sup_count_children&);
  sup_flags handle_call(const sup_get_flags&) { return flags_; }

  void handle_cast(const sup_observe& o) { observer_ = o.observer; }
  void handle_cast(const sup_adopt& a);
  void handle_info(const otp::down& d);
  void handle_info(const otp::exit_signal&) {}  // children are watched through monitors
  void handle_info(const sup_try_again& t);
  void handle_info(const sup_job_timer& t);
  void handle_info(const sup_job_stalled& t);

  bool defer_stop(const exit_reason& reason) override;
  /// The supervisor exits (killed, say): what CAF links would do, from the child table.
  void exiting(server_core& core, const exit_reason& reason) override;
  std::string format_state() const;

 private:
  struct child {
    child_spec spec;
    otp::pid pid;
    bool restarting = false;
    unsigned restarts = 0;
  };

  struct dynamic_child {
    otp::pid pid;  // empty while restarting
    extra_args extra;
    unsigned restarts = 0;
  };

  /// Where a child of a concurrent stop is.
  enum class pool_step : std::uint8_t { waiting, told, down };

  /// Stops a list of children: one after the other in list order, or all at once.
  struct stop_job {
    std::uint64_t id = 0;
    std::vector<std::pair<otp::pid, shutdown_spec>> targets;  // sequential, in stop order
    // Sequential: the child being stopped is targets[next]; concurrent: the next of `pool` to
    // tell.
    std::size_t next = 0;
    bool concurrent = false;                    // simple_one_for_one
    std::unordered_set<std::uint64_t> ids;      // sequential: of all targets
    std::unordered_set<std::uint64_t> waiting;  // sequential
    // Concurrent (a simple_one_for_one pool, maybe 100,000s of children): the ids of the
    // children to stop, sorted, and each one's step; their pids stay in `dynamic_`. Hash sets
    // and a copy of every pid cost two allocations per child (page faults when the thread's
    // arena had to grow mid-stop) and a reference count touched in every child's memory.
    std::vector<std::uint64_t> pool;
    std::vector<pool_step> steps;
    shutdown_spec pool_shutdown{brutal_kill};
    std::size_t pool_waiting = 0;    // concurrent: children not down yet
    std::size_t told = 0;            // concurrent: told to exit, not down yet
    bool stall_check = false;        // concurrent: a sup_job_stalled is due
    std::size_t downs = 0;           // concurrent: children gone so far
    std::size_t downs_at_check = 0;  // ... when the stall check was armed
    std::unordered_set<std::uint64_t> already_down;
    bool killing = false;
    bool timed_out = false;             // a shutdown timeout passed: the waiting were killed
    std::size_t killed_at_timeout = 0;  // concurrent: reported once, as OTP does for a pool
    otp::timer_ref timer;
    std::function<void()> then;
  };

  using trigger = std::variant<otp::down, sup_try_again>;

  // -- start ----------------------------------------------------------------------------------
  /// OTP's check_flags: what is wrong with the flags, in OTP's words.
  static std::optional<std::string> check_flags(const sup_flags& flags);
  std::optional<exit_reason> validate(const child_spec& spec) const;
  start_function::result_type start(const child_spec& spec, const extra_args& extra);

  // -- restart --------------------------------------------------------------------------------
  void child_exited(const otp::pid& who, const exit_reason& reason);
  void restart(std::size_t index);
  void restart_dynamic(std::uint64_t old_id);
  void restart_from(std::size_t first);
  bool add_restart();
  void give_up(const std::string& offender);
  void check_auto_shutdown(const child_spec& spec);

  // -- stopping children ----------------------------------------------------------------------
  void run_job(stop_job job);
  void job_advance();
  void job_signal_more(std::size_t window);
  void job_child_down(const otp::pid& who, const exit_reason& reason);
  /// The concurrent job's step of child `id`, or null if the job does not stop it.
  pool_step* pool_step_of(std::uint64_t id);
  /// Calls `f(pid, shutdown)` for every child of the job not down yet.
  void for_each_waiting(const std::function<void(const otp::pid&, const shutdown_spec&)>& f);
  /// A child of the concurrent job went down: true if it was one of the job's.
  bool pool_child_down(std::uint64_t id);
  /// The concurrent job is done: its children leave `dynamic_`.
  void release_pool();
  /// Stops every child of a simple_one_for_one pool but the `dead`, all at once.
  void start_pool_job(const std::unordered_set<std::uint64_t>& dead, std::function<void()> then);
  void job_finished();
  /// The stop of a simple_one_for_one pool's children killed `n` of them at the timeout.
  void report_pool_kills(std::size_t n);
  void stop_all_children(std::function<void()> then);

  // -- reports --------------------------------------------------------------------------------
  void report(std::string_view context, const exit_reason& reason, std::string_view id,
              const otp::pid& who);
  /// A report whose offender is `{id, Id}` and `{key, value}` (OTP's pid, or nb_children).
  void report_offender(std::string_view context, const exit_reason& reason, std::string_view id,
                       std::pair<std::string_view, std::string> offender);
  std::string name() const;

  /// The child `id`, if it exists and is neither running nor restarting.
  expected<child*, sup_error> stopped_child(const std::string& id);
  child* find(const std::string& id);
  child* find(const otp::pid& who);
  bool simple() const { return flags_.strategy == strategy::simple_one_for_one; }

  sup_flags flags_;
  std::vector<child> children_;  // start order; for simple_one_for_one: the template
  std::unordered_map<std::uint64_t, dynamic_child> dynamic_;
  otp::pid observer_;                  // gets a sup_child_exit per child exit (observe_child_exits)
  std::deque<std::int64_t> restarts_;  // whole seconds of the node's clock
  std::optional<stop_job> job_;
  std::deque<trigger> postponed_;
  std::uint64_t job_counter_ = 0;
  std::optional<exit_reason> stopping_;
};

}  // namespace otp::detail
