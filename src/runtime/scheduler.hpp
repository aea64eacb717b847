#pragma once

#include "runtime/lean_clock.hpp"

#include "runtime/scheduler_times.hpp"

#include <caf/detail/thread_safe_actor_clock.hpp>
#include <caf/scheduler/abstract_coordinator.hpp>
#include <caf/timespan.hpp>

#include <atomic>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

namespace otp::detail {

/// The node's work-stealing scheduler: CAF's `work_stealing` policy, rebuilt where CAF 0.17's
/// costs lie on our paths.
///
/// - Stealing is O(1) (see job_queue). CAF's thief walks the victim's whole list, so a burst of
///   jobs from one actor (a supervisor killed with 100k linked children, a broadcast, a spawn
///   loop) became quadratic.
/// - The worker loop does no `dynamic_cast` per job (CAF's does one to tag its log lines,
///   which `scheduled_actor::resume` tags again).
/// - Idle workers poll as CAF's do (the same `work-stealing.*` settings and defaults), but a
///   queue that holds more than one job wakes a sleeping worker to steal from it. CAF's
///   sleeping worker only looks every 10 ms, so a burst on one worker, or a job from outside
///   queued behind a long one, could wait that long with a core idle. The short sleeps between
///   two polls of the moderate phase can be woken too (CAF's are `sleep_for`s): a job from
///   outside, e.g. a plain thread's call, no longer waits for the worker's next poll.
/// - A job that a job makes runnable on its own thread goes to that thread's next-job slot,
///   not its queue (a hop of a call chain takes no lock); an idle worker takes it from there
///   only once it is stuck behind one long job (`slot_grace_ns`).
/// - A job from outside goes back to the worker that ran the process last (or ran the turn
///   that started it) if that worker is idle, else round robin as CAF's: its cache and its
///   malloc arena hold the process.
/// - The moderate phase's short timed sleeps stop while no other worker runs a job (nothing
///   can turn up to steal that a wake-up would not bring): the worker sleeps in the relaxed
///   phase, and its timer no longer preempts the other worker's next short job.
/// - Actors get a `lean_clock` in front of CAF's clock.
class scheduler final : public caf::scheduler::abstract_coordinator {
 public:
  explicit scheduler(caf::actor_system& sys);
  ~scheduler() override;

  /// From threads that are not this scheduler's workers (CAF's clock, I/O threads, ...).
  void enqueue(caf::resumable* job) override;

  lean_clock& clock() noexcept override { return lean_; }

  /// Jobs taken from another worker's queue, since the start.
  std::size_t steals() const noexcept { return steals_.load(std::memory_order_relaxed); }

  /// Per worker: time running jobs and age (scheduler_times.hpp).
  std::vector<scheduler_time> times() const;

  /// Of those, jobs taken from another worker's next-job slot, where they were stuck behind a
  /// long job (`slot_grace_ns`).
  std::size_t slot_steals() const noexcept { return slot_steals_.load(std::memory_order_relaxed); }

  /// How long a job may wait in a worker's next-job slot, behind one long job of that worker,
  /// before an idle worker takes it.
  static constexpr std::int64_t slot_grace_ns = 1'000'000;

  /// Sleeping workers woken, for any reason, since the start.
  std::size_t wakeups() const noexcept { return wakeups_.load(std::memory_order_relaxed); }

  /// Sleeping workers woken because another worker's queue grew.
  std::size_t backlog_wakeups() const noexcept {
    return backlog_wakeups_.load(std::memory_order_relaxed);
  }

 protected:
  void start() override;
  void stop() override;

 private:
  class worker;

  /// A thief's last look at a victim's next-job slot: which job sat there, while the victim
  /// ran its `serial`-th job, seen first at `since`.
  struct slot_sighting {
    const worker* owner = nullptr;
    caf::resumable* job = nullptr;
    std::uint64_t serial = 0;
    std::int64_t since = 0;
  };

  struct poll_phase {
    std::size_t attempts;
    std::size_t steal_interval;
    caf::timespan sleep;
  };

  /// The worker `job` (a process) last ran on, if it is one of ours, idle and with nothing
  /// queued; else null.
  worker* idle_home_of(caf::resumable* job) const noexcept;

  /// True if a worker other than `self` runs a job: one that may leave a job to steal.
  bool busy_besides(const worker* self) const noexcept;

  /// True if a worker other than `self` has more than one job waiting: worth stealing.
  bool backlog_besides(const worker* self) const noexcept;

  /// Wakes a sleeping worker other than `busy` so that it steals from `busy`.
  void wake_thief(const worker* busy);

  caf::detail::thread_safe_actor_clock real_clock_;
  lean_clock lean_{real_clock_};
  std::thread clock_thread_;
  std::vector<std::unique_ptr<worker>> workers_;
  poll_phase aggressive_{};
  poll_phase moderate_{};
  poll_phase relaxed_{};
  std::atomic<std::size_t> sleepers_{0};
  std::atomic<std::size_t> steals_{0};
  std::atomic<std::size_t> slot_steals_{0};
  std::atomic<std::size_t> backlog_wakeups_{0};
  std::atomic<std::size_t> wakeups_{0};
};

}  // namespace otp::detail
