#include "runtime/scheduler.hpp"

#include "runtime/job_queue.hpp"

#include "runtime/quiet_caf_logger.hpp"
#include "runtime/scheduler_times.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/config_value.hpp>
#include <caf/defaults.hpp>
#include <caf/detail/set_thread_name.hpp>
#include <caf/intrusive_ptr.hpp>
#include <caf/logger.hpp>
#include <caf/scheduled_actor.hpp>
#include <caf/settings.hpp>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <utility>

namespace otp::detail {

namespace {

/// The worker this thread is, and whose scheduler: `scheduler::enqueue` from a worker's own
/// thread queues there.
thread_local const scheduler* worker_of = nullptr;
thread_local caf::execution_unit* worker_unit = nullptr;

}  // namespace

class scheduler::worker final : public caf::execution_unit {
 public:
  worker(scheduler& parent, std::size_t id)
    : caf::execution_unit(&parent.system()), parent_(parent), id_(id), random_(id + 1) {}

  /// From a job this worker runs: it goes first, as CAF's worker does it (the message just
  /// sent is usually the next thing to do, and its data is in this core's cache). On the
  /// worker's own thread it goes to `next_`, a slot of the worker: every hop of a call chain (a
  /// request to an idle server, a waiting caller woken by its reply) makes one job here, and
  /// the shared queue's lock and fences cost more than the hop's other work (one exchange
  /// here). The job it displaces goes to the front of the queue, so the order is the one two
  /// pushes to the front would give, and the queue's thieves can take it.
  void exec_later(caf::resumable* job) override {
    if (worker_unit != this) {  // another thread's turn that names this unit: the queue
      // This worker may be asleep (a process started by a turn here, whose exit another
      // thread ends, names it): nothing else looks at this queue before its next poll, up to
      // the relaxed sleep (10 ms by default) away. As a job from outside: wake it.
      auto length = queue_.push_front(job);
      if (!wake() && length > 1)
        parent_.wake_thief(this);
      return;
    }
    auto* displaced = next_.exchange(job, std::memory_order_acq_rel);
    if (displaced != nullptr) {
      queue_.push_front(displaced);
      parent_.wake_thief(this);  // two jobs wait here: another worker may take one
    }
  }

  /// The job left in `next_` when the worker's loop ended (for the scheduler's last drain).
  caf::resumable* take_next() noexcept { return next_.exchange(nullptr); }

  /// Running a job (not looking for one). Read from any thread: a hint.
  bool busy() const noexcept { return idle_since_.load(std::memory_order_relaxed) == 0; }

  /// Looking for work (polling or asleep) with nothing queued: a job from outside that last
  /// ran here is best run here again. Read from any thread: a hint.
  bool idle_home() const noexcept {
    return idle_since_.load(std::memory_order_relaxed) != 0 && queue_.empty();
  }

  /// Nothing waits to run here but the job that runs now. This worker's thread only.
  bool nothing_waiting() const noexcept {
    return next_.load(std::memory_order_relaxed) == nullptr && queue_.empty();
  }

  /// The job in `next_`, if it has waited there for `slot_grace_ns` while this worker ran one
  /// and the same job: a callback that computes for long must not hold back the job it made
  /// runnable while another worker idles. `seen` is the thief's record of its last look.
  caf::resumable* take_stuck_next(slot_sighting& seen) {
    auto* job = next_.load(std::memory_order_acquire);
    if (job == nullptr)
      return nullptr;
    auto serial = job_serial_.load(std::memory_order_relaxed);
    if (seen.owner != this || seen.job != job || seen.serial != serial) {
      seen = {this, job, serial, now_ns()};  // the owner moved on since: a new sighting
      return nullptr;
    }
    if (now_ns() - seen.since < slot_grace_ns)
      return nullptr;
    seen = {};
    return next_.compare_exchange_strong(job, nullptr, std::memory_order_acq_rel) ? job : nullptr;
  }

  /// From any other thread.
  void external_enqueue(caf::resumable* job) {
    auto length = queue_.push_back(job);
    if (!wake() && length > 1)
      parent_.wake_thief(this);  // this worker is busy: another one may take it
  }

  void start() {
    thread_ = std::thread{[this] {
      // Named for top -H, perf and strace -f (CAF names its workers like its I/O thread).
      caf::detail::set_thread_name("otp.scheduler");
      system().thread_started();
      caf::logger::set_current_actor_system(&system());
      quiet_caf_logger();  // unless CAF logging was configured
      worker_of = &parent_;
      worker_unit = this;
      run();
      system().thread_terminates();
    }};
  }

  /// The worker runs until its queue is empty, then its thread ends.
  void request_stop() {
    stop_requested_.store(true);
    wake(true);
  }

  void join() { thread_.join(); }

  job_queue& queue() noexcept { return queue_; }

  /// Ends a sleep, between two moderate polls or relaxed; false if the worker was not sleeping.
  bool wake(bool always = false) {
    // Pairs with the store of `sleeping_` in sleep_for: either the sleeper sees the job just
    // queued, or this sees the sleeper (both are sequentially consistent).
    if (!always && !sleeping_.load())
      return false;
    parent_.wakeups_.fetch_add(1, std::memory_order_relaxed);
    {
      std::lock_guard guard{sleep_mtx_};
      wake_pending_ = true;
    }
    // Outside the lock: a sleeper notified under it would wake only to block on it.
    wakeup_.notify_one();
    return true;
  }

  void run() {
    auto throughput = parent_.max_throughput();
    std::uint64_t serial = 0;
    while (auto* job = next_job()) {
      job_serial_.store(++serial, std::memory_order_relaxed);  // for take_stuck_next's thieves
      switch (job->resume(this, throughput)) {
        case caf::resumable::resume_later:
          queue_.push_back(job);  // it yielded: everything else queued goes first
          break;
        case caf::resumable::done:
        case caf::resumable::awaiting_message:
          caf::intrusive_ptr_release(job);
          break;
        case caf::resumable::shutdown_execution_unit:
          return;
      }
    }
  }

  bool stopping() const noexcept { return stop_requested_.load(std::memory_order_relaxed); }

  /// Time spent running jobs since the thread started (see idle_period).
  scheduler_time times(std::int64_t now) const noexcept {
    auto since = idle_since_.load(std::memory_order_relaxed);
    auto idle = idle_ns_.load(std::memory_order_relaxed) + (since != 0 ? now - since : 0);
    auto total = now - started_;
    return {std::chrono::nanoseconds{std::max<std::int64_t>(total - idle, 0)},
            std::chrono::nanoseconds{total}};
  }

  static std::int64_t now_ns() noexcept {
    return std::chrono::steady_clock::now().time_since_epoch().count();
  }

 private:
  /// The worker looks for work (polls, steals, sleeps) from construction to destruction: the
  /// thread's idle time. A busy worker takes the next job from its queue without one: the
  /// clock is read only when the queue ran dry. Written by the worker alone, read by anyone.
  class idle_period {
   public:
    explicit idle_period(worker& w) noexcept : w_(w), began_(now_ns()) {
      w_.idle_since_.store(began_, std::memory_order_relaxed);
    }
    ~idle_period() {
      auto idle = w_.idle_ns_.load(std::memory_order_relaxed) + (now_ns() - began_);
      w_.idle_ns_.store(idle, std::memory_order_relaxed);
      w_.idle_since_.store(0, std::memory_order_relaxed);
    }
    idle_period(const idle_period&) = delete;
    idle_period& operator=(const idle_period&) = delete;

   private:
    worker& w_;
    std::int64_t began_;
  };

  /// The next job, polling like CAF's work-stealing workers; nullptr once asked to stop and
  /// the queue is empty.
  caf::resumable* next_job() {
    if (next_.load(std::memory_order_relaxed) != nullptr)
      if (auto* job = next_.exchange(nullptr, std::memory_order_acquire))
        return job;  // (a thief may have taken it just now)
    if (auto* job = queue_.pop_front())
      return job;
    idle_period idle{*this};
    return look_for_job();
  }

  caf::resumable* look_for_job() {
    for (const auto* phase : {&parent_.aggressive_, &parent_.moderate_}) {
      for (std::size_t i = 0; i < phase->attempts; ++i) {
        if (auto* job = queue_.pop_front())
          return job;
        if (stopping())
          return nullptr;
        if (i % phase->steal_interval == 0)
          if (auto* job = steal(phase != &parent_.aggressive_))
            return job;
        if (phase->sleep.count() > 0) {
          // These short sleeps (50 us by default) are polls for a job to steal, and only a
          // worker that runs a job can leave one to steal (queued or stuck in its slot behind
          // a long job). While no other worker runs one, nothing can turn up that the
          // scheduler's wake-ups would not bring (a job from outside, a backlog): sleep in the
          // relaxed phase until woken. Every timed wake-up takes a core, on two cores often
          // the one where the other worker has just gone on with a short job (a process's
          // restart, woken from outside), which it then preempts for 10-20 us.
          if (!parent_.busy_besides(this))
            break;
          sleep_for(phase->sleep);  // can be woken, e.g. by a job from outside
        }
      }
    }
    const auto& relaxed = parent_.relaxed_;
    for (std::size_t i = 1;; ++i) {
      bool woken = sleep_for(relaxed.sleep);
      if (auto* job = queue_.pop_front())
        return job;
      if (stopping())
        return nullptr;
      if (woken || i % relaxed.steal_interval == 0)
        if (auto* job = steal(true))
          return job;
    }
  }

  /// The oldest job of another worker's queue, else, if `slot_too`, the job in its slot if it
  /// is stuck there. The aggressive phase's polls (microseconds apart) leave the slot alone:
  /// a job is stuck only after a millisecond, and reading the slot while its owner hops along
  /// a call chain would move the owner's cache line to this core and back at every look.
  caf::resumable* steal(bool slot_too) {
    auto& workers = parent_.workers_;
    auto n = workers.size();
    if (n < 2)
      return nullptr;
    auto victim = next_random() % (n - 1);
    if (victim >= id_)
      ++victim;
    auto* job = workers[victim]->queue().pop_back();
    if (job == nullptr && slot_too) {
      job = workers[victim]->take_stuck_next(sighting_);
      if (job != nullptr)
        parent_.slot_steals_.fetch_add(1, std::memory_order_relaxed);
    }
    if (job)
      parent_.steals_.fetch_add(1, std::memory_order_relaxed);
    return job;
  }

  /// Sleeps until woken, a job arrives in this queue, or `timeout`. True if woken.
  bool sleep_for(caf::timespan timeout) {
    std::unique_lock guard{sleep_mtx_};
    sleeping_.store(true);
    parent_.sleepers_.fetch_add(1);
    wakeup_.wait_for(guard, timeout, [this] {
      return wake_pending_ || !queue_.empty() || stopping() || parent_.backlog_besides(this);
    });
    parent_.sleepers_.fetch_sub(1);
    sleeping_.store(false);
    return std::exchange(wake_pending_, false);
  }

  std::size_t next_random() noexcept {  // xorshift64: a victim needs no better
    random_ ^= random_ << 13;
    random_ ^= random_ >> 7;
    random_ ^= random_ << 17;
    return static_cast<std::size_t>(random_);
  }

  scheduler& parent_;
  std::size_t id_;
  job_queue queue_;
  // The job to run next (exec_later). Pushed and taken by this worker's thread; another
  // worker takes it only once it is stuck (take_stuck_next).
  std::atomic<caf::resumable*> next_{nullptr};
  std::atomic<std::uint64_t> job_serial_{0};  // jobs started: tells a thief the owner moved on
  slot_sighting sighting_;                    // this worker's last look at a victim's slot
  std::thread thread_;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> sleeping_{false};
  std::mutex sleep_mtx_;
  std::condition_variable wakeup_;
  bool wake_pending_ = false;  // guarded by sleep_mtx_
  std::uint64_t random_;
  std::int64_t started_ = now_ns();
  std::atomic<std::int64_t> idle_ns_{0};
  std::atomic<std::int64_t> idle_since_{0};  // when the current idle period began; 0: busy
};

scheduler::scheduler(caf::actor_system& sys) : abstract_coordinator(sys) {}

scheduler::~scheduler() = default;

void scheduler::start() {
  namespace defaults = caf::defaults::work_stealing;
  const auto& cfg = config();
  aggressive_ = {
    caf::get_or(cfg, "work-stealing.aggressive-poll-attempts", defaults::aggressive_poll_attempts),
    caf::get_or(cfg, "work-stealing.aggressive-steal-interval",
                defaults::aggressive_steal_interval),
    caf::timespan{0}};
  moderate_ = {
    caf::get_or(cfg, "work-stealing.moderate-poll-attempts", defaults::moderate_poll_attempts),
    caf::get_or(cfg, "work-stealing.moderate-steal-interval", defaults::moderate_steal_interval),
    caf::get_or(cfg, "work-stealing.moderate-sleep-duration", defaults::moderate_sleep_duration)};
  relaxed_ = {
    1, caf::get_or(cfg, "work-stealing.relaxed-steal-interval", defaults::relaxed_steal_interval),
    caf::get_or(cfg, "work-stealing.relaxed-sleep-duration", defaults::relaxed_sleep_duration)};
  for (auto* phase : {&aggressive_, &moderate_, &relaxed_})
    if (phase->steal_interval == 0)
      phase->steal_interval = 1;
  auto n = std::max<std::size_t>(num_workers(), 1);
  workers_.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    workers_.push_back(std::make_unique<worker>(*this, i));
  for (auto& w : workers_)
    w->start();
  clock_thread_ = std::thread{[this] {
    caf::detail::set_thread_name("caf.clock");
    caf::logger::set_current_actor_system(&system());
    system().thread_started();
    real_clock_.run_dispatch_loop();
    system().thread_terminates();
  }};
  abstract_coordinator::start();  // CAF's utility actors (the printer), detached
}

void scheduler::stop() {
  // Each worker drains its own queue (jobs scheduled meanwhile included) before it ends.
  for (auto& w : workers_)
    w->request_stop();
  stop_actors();
  for (auto& w : workers_)
    w->join();
  // What reached a queue after its worker ended (from the clock or another thread).
  for (auto& w : workers_) {
    if (auto* job = w->take_next())
      cleanup_and_release(job);
    while (auto* job = w->queue().pop_front())
      cleanup_and_release(job);
  }
  real_clock_.cancel_dispatch_loop();
  clock_thread_.join();
}

std::vector<scheduler_time> scheduler::times() const {
  std::vector<scheduler_time> out;
  auto now = worker::now_ns();
  for (const auto& w : workers_)
    out.push_back(w->times(now));
  return out;
}

std::vector<scheduler_time> scheduler_times(node& n) {
  if (auto* s = dynamic_cast<scheduler*>(&n.system().scheduler()))
    return s->times();
  return {};
}

void scheduler::enqueue(caf::resumable* job) {
  // From a job on one of our workers whose queue is empty (a process woken by the reply it
  // awaited, a plain process's wake-up): this worker runs the job next, as it does a message
  // sent from a job (`exec_later`). The waker is about to end its turn or park, so the woken
  // process runs at once on a warm core; round robin would hand it, one hop in two, to the
  // other worker, asleep between polls, and the hop would cost a futex wake-up and a cold
  // cache. A worker with work queued deals on round robin, as before: a burst (a spawn loop)
  // is still spread.
  if (worker_of == this && static_cast<worker*>(worker_unit)->nothing_waiting()) {
    worker_unit->exec_later(job);
    return;
  }
  // From another thread (a plain thread's call or cast, a kill from outside): back to the
  // worker that ran the process last, or ran the turn that started it, if that worker is idle
  // with nothing queued. That core's cache holds the process's state, and that thread's malloc
  // arena its memory. Round robin could send a chain of calls begun from outside to the other
  // worker at each call: a supervisor's children were allocated in one thread's arena, the
  // next batch in the other's, and each arena grew to hold a whole batch (start_child of 10,000
  // then 20,000 children: mostly 10-11k page faults, mostly 7.8-8.1k with this, as before this
  // scheduler).
  if (worker_of != this)
    if (auto* home = idle_home_of(job)) {
      home->external_enqueue(job);
      return;
    }
  // Round robin, as CAF's: a worker that is polling picks the job up without a wake-up. If
  // it is busy, the job makes a backlog there, which wakes a sleeping worker to steal it.
  workers_[next_worker_.fetch_add(1, std::memory_order_relaxed) % workers_.size()]
    ->external_enqueue(job);
}

scheduler::worker* scheduler::idle_home_of(caf::resumable* job) const noexcept {
  // An actor's CAF context is the unit that ran its last turn (or the one its parent ran on
  // when it was started, see start_erased). Read while the actor is not running: the job is
  // being scheduled because its mailbox or wait went from blocked to ready, which orders this
  // after the last turn's write. The unit may be anything (an I/O thread's, one since gone):
  // only its address is compared, with our workers'.
  if (job->subtype() != caf::resumable::scheduled_actor)
    return nullptr;
  const auto* unit = static_cast<caf::scheduled_actor*>(job)->context();
  for (const auto& w : workers_)
    if (w.get() == unit)
      return w->idle_home() ? w.get() : nullptr;
  return nullptr;
}

bool scheduler::busy_besides(const worker* self) const noexcept {
  for (const auto& w : workers_)
    if (w.get() != self && w->busy())
      return true;
  return false;
}

bool scheduler::backlog_besides(const worker* self) const noexcept {
  for (const auto& w : workers_)
    if (w.get() != self && w->queue().size() > 1)
      return true;
  return false;
}

void scheduler::wake_thief(const worker* busy) {
  if (sleepers_.load() == 0)
    return;
  for (auto& w : workers_)
    if (w.get() != busy && w->wake()) {
      backlog_wakeups_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
}

}  // namespace otp::detail
