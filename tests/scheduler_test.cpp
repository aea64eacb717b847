// The node's work-stealing scheduler (src/runtime/scheduler.hpp) and its job queue.

#include "runtime/scheduler.hpp"
#include "eventually.hpp"
#include "runtime/job_queue.hpp"

#include <doctest/doctest.h>

#include <otp/gen_server.hpp>
#include <otp/node.hpp>
#include "runtime/scheduler_times.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/timespan.hpp>

#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace gen_server = otp::gen_server;

namespace {

// -- the queue -------------------------------------------------------------------------------

/// Distinct job addresses; the queue never looks behind them.
struct jobs {
  std::array<char, 1000> storage{};
  caf::resumable* operator[](std::size_t i) {
    return reinterpret_cast<caf::resumable*>(&storage[i]);
  }
};

// -- processes -------------------------------------------------------------------------------

void spin(std::chrono::microseconds d) {
  auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
  }
}

struct work {};

/// Spins a little on each cast, then counts it.
struct worker_process {
  std::shared_ptr<std::atomic<int>> done;

  void init(std::shared_ptr<std::atomic<int>> d) { done = std::move(d); }
  void handle_cast(work) {
    spin(20us);
    done->fetch_add(1);
  }
};

struct burst {
  std::vector<otp::server_ref<worker_process>> targets;
};

/// Casts to every target in one go: a burst of jobs on its own scheduler thread.
struct broadcaster {
  void handle_cast(const burst& b) {
    for (const auto& t : b.targets)
      gen_server::cast(t, work{});
  }
};

otp::detail::scheduler& scheduler_of(otp::node& node) {
  auto* s = dynamic_cast<otp::detail::scheduler*>(&node.system().scheduler());
  REQUIRE(s != nullptr);
  return *s;
}

/// Workers that go straight to their relaxed sleep and would sleep for an hour in it: only the
/// scheduler's wake-ups get them running.
/// Two workers that soon sleep for an hour, in their relaxed phase or, with `moderate_polls`,
/// between two polls of their moderate phase.
otp::node_options sleepy_workers(int moderate_polls = 1) {
  otp::node_options opts;
  opts.threads = 2;
  opts.setup.push_back([moderate_polls](caf::actor_system_config& cfg) {
    cfg.set("work-stealing.aggressive-poll-attempts", 1);
    cfg.set("work-stealing.moderate-poll-attempts", moderate_polls);
    cfg.set("work-stealing.moderate-sleep-duration",
            moderate_polls > 1 ? caf::timespan{1h} : caf::timespan{1us});
    cfg.set("work-stealing.relaxed-sleep-duration", caf::timespan{1h});
  });
  return opts;
}

/// Casts to one process from this thread, each once the workers are asleep; true if all ran.
bool casts_from_outside_run(otp::node& node) {
  auto done = std::make_shared<std::atomic<int>>(0);
  auto p = gen_server::start<worker_process>(node, done).value();
  for (int i = 0; i < 20; ++i) {
    std::this_thread::sleep_for(2ms);  // both workers asleep again
    gen_server::cast(p, work{});
    if (!test_util::eventually([&] { return done->load() == i + 1; }, 5s))
      return false;
  }
  return true;
}

/// Runs one burst of `n` jobs from one process; true once all ran.
bool run_burst(otp::node& node, std::size_t n) {
  auto done = std::make_shared<std::atomic<int>>(0);
  burst b;
  for (std::size_t i = 0; i < n; ++i)
    b.targets.push_back(gen_server::start<worker_process>(node, done).value());
  auto sender = gen_server::start<broadcaster>(node).value();
  gen_server::cast(sender, b);
  return test_util::eventually([&] { return done->load() == static_cast<int>(n); }, 30s);
}

}  // namespace

TEST_CASE("job queue: the owner works at the front, thieves take the oldest from the back") {
  jobs j;
  otp::detail::job_queue q;
  CHECK(q.empty());
  CHECK(q.pop_front() == nullptr);
  CHECK(q.push_back(j[0]) == 1);  // from another thread: in arrival order
  CHECK(q.push_back(j[1]) == 2);
  CHECK(q.push_front(j[2]) == 3);  // from the owner's running job: next
  CHECK(q.size() == 3);
  CHECK(q.pop_front() == j[2]);
  CHECK(q.pop_back() == j[1]);
  CHECK(q.pop_back() == j[0]);
  CHECK(q.empty());
}

TEST_CASE("job queue: keeps its order as it grows around the end of its ring") {
  jobs j;
  otp::detail::job_queue q;
  // Start the ring in the middle, then grow it several times from both ends.
  for (std::size_t i = 0; i < 40; ++i)
    q.push_back(j[i]);
  for (std::size_t i = 0; i < 30; ++i)
    REQUIRE(q.pop_front() == j[i]);
  for (std::size_t i = 40; i < 400; ++i)
    q.push_back(j[i]);
  for (std::size_t i = 400; i < 700; ++i)
    q.push_front(j[i]);
  REQUIRE(q.size() == 670);
  for (std::size_t i = 699; i >= 400; --i)
    REQUIRE(q.pop_front() == j[i]);
  for (std::size_t i = 399; i >= 30; --i)
    REQUIRE(q.pop_back() == j[i]);
  CHECK(q.empty());
}

TEST_CASE("the node runs its processes on caf-otp's scheduler with the configured threads") {
  otp::node node{otp::node_options{.threads = 3}};
  CHECK(scheduler_of(node).num_workers() == 3);
}

TEST_CASE("a job from outside the scheduler wakes a sleeping worker") {
  otp::node node{sleepy_workers()};
  CHECK(casts_from_outside_run(node));
}

TEST_CASE("a job from outside the scheduler wakes a worker between two moderate polls") {
  // A plain thread's call waited up to a moderate sleep (50 µs by default, often twice that
  // with the timer slack) for a worker to poll again; this node's would wait an hour. (With no
  // other worker running a job, a worker now leaves the moderate phase for the relaxed one:
  // the same sleep, woken the same way.)
  otp::node node{sleepy_workers(1'000'000)};
  CHECK(casts_from_outside_run(node));
}

TEST_CASE("a worker piling up jobs wakes a sleeping one, which takes a share") {
  otp::node node{sleepy_workers()};
  auto& sched = scheduler_of(node);
  std::this_thread::sleep_for(20ms);
  // 400 jobs of 20 us on one worker: the other sleeps for an hour unless woken.
  REQUIRE(run_burst(node, 400));
  CHECK(sched.backlog_wakeups() > 0);
  CHECK(sched.steals() > 0);
}

namespace {

struct which_thread {};

/// Answers with the thread it runs on.
struct thread_teller {
  long handle_call(which_thread) { return syscall(SYS_gettid); }
};

struct hop {
  int n;
};

/// Calls the teller `n` times, counting the replies that came from its own thread.
struct hopper {
  otp::server_ref<thread_teller> teller;
  std::shared_ptr<std::atomic<int>> same;
  std::shared_ptr<std::atomic<int>> done;
  void handle_cast(const hop& h) {
    for (int i = 0; i < h.n; ++i)
      if (gen_server::call(teller, which_thread{}) == syscall(SYS_gettid))  // the kernel's answer
        ++*same;
    ++*done;
  }
};

}  // namespace

TEST_CASE("a process woken by the reply it awaited runs next on the replier's worker") {
  // The other worker sleeps until woken. Handed the woken caller (round robin), it would be
  // woken for it one hop in two, a futex wake-up per hop.
  otp::node node{sleepy_workers()};
  auto& sched = scheduler_of(node);
  auto teller = gen_server::start<thread_teller>(node).value();
  auto same = std::make_shared<std::atomic<int>>(0);
  auto done = std::make_shared<std::atomic<int>>(0);
  auto caller = gen_server::start<hopper>(node, teller, same, done).value();
  gen_server::cast(caller, hop{1});
  REQUIRE(test_util::eventually([&] { return done->load() == 1; }, 10s));
  std::this_thread::sleep_for(2ms);  // both workers asleep again
  auto before = sched.wakeups();
  gen_server::cast(caller, hop{200});  // wakes one worker, from outside
  REQUIRE(test_util::eventually([&] { return done->load() == 2; }, 10s));
  CHECK(sched.wakeups() - before <= 2);
  CHECK(same->load() == 201);
}

TEST_CASE("calls from a plain thread go back to the worker that ran the server last") {
  // Dealt round robin, every other call went to the other worker, whose cache and malloc arena
  // hold nothing of the server's. (A worker whose relaxed sleep ends at the wrong moment may
  // still steal one, and the server then stays on that worker.)
  otp::node node{otp::node_options{.threads = 2}};
  auto teller = gen_server::start<thread_teller>(node).value();
  auto last = gen_server::call(teller, which_thread{});
  int moves = 0;
  for (int i = 0; i < 50; ++i) {
    std::this_thread::sleep_for(1ms);  // both workers idle again
    auto now = gen_server::call(teller, which_thread{});
    if (now != last)
      ++moves;
    last = now;
  }
  INFO("moves between the workers: ", moves);
  CHECK(moves <= 10);
}

namespace {

/// Voluntary context switches of the whole program so far (every thread's sleeps).
long voluntary_switches() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  return usage.ru_nvcsw;
}

}  // namespace

TEST_CASE("idle workers with nothing to steal from sleep until woken, not in 50 us polls") {
  // After each job a worker polled every 50 us (CAF's moderate phase) for 25 ms; on two cores
  // its timer preempted the other worker's next short job. Now it polls so only while another
  // worker runs a job.
  otp::node node{otp::node_options{.threads = 2}};
  auto done = std::make_shared<std::atomic<int>>(0);
  auto p = gen_server::start<worker_process>(node, done).value();
  long switches = 0;
  for (int i = 0; i < 5; ++i) {
    gen_server::cast(p, work{});
    REQUIRE(test_util::eventually([&] { return done->load() == i + 1; }, 5s));
    auto before = voluntary_switches();
    std::this_thread::sleep_for(20ms);  // within the moderate phase's 25 ms
    switches += voluntary_switches() - before;
  }
  INFO("voluntary context switches in 5 x 20 ms: ", switches);
  CHECK(switches < 250);  // two workers polling every 50 us (plus timer slack): about 1,600
}

namespace {

struct mark {};

/// Sets its flag when cast to.
struct flagger {
  std::shared_ptr<std::atomic<bool>> ran;
  void handle_cast(mark) { ran->store(true); }
};

struct cast_then_compute {
  otp::server_ref<flagger> target;
};

/// Casts to an idle server, which lands in this worker's next-job slot, then computes until
/// that server has run (or for 10 s): it can run only on the other worker.
struct computer {
  std::shared_ptr<std::atomic<bool>> ran;
  std::shared_ptr<std::atomic<int>> seen_while_computing;  // -1 until it is done, then 0 or 1
  void handle_cast(const cast_then_compute& c) {
    gen_server::cast(c.target, mark{});
    auto until = std::chrono::steady_clock::now() + 10s;
    while (!ran->load() && std::chrono::steady_clock::now() < until) {
    }
    seen_while_computing->store(ran->load() ? 1 : 0);
  }
};

}  // namespace

TEST_CASE("a job stuck behind a long callback in a worker's next-job slot is taken by another") {
  // Without it, the flagger would wait for the whole computation with the other worker idle.
  otp::node node{otp::node_options{.threads = 2}};
  auto& sched = scheduler_of(node);
  auto ran = std::make_shared<std::atomic<bool>>(false);
  auto seen = std::make_shared<std::atomic<int>>(-1);
  auto target = gen_server::start<flagger>(node, ran).value();
  auto c = gen_server::start<computer>(node, ran, seen).value();
  auto slot_steals = sched.slot_steals();
  auto t0 = std::chrono::steady_clock::now();
  gen_server::cast(c, cast_then_compute{target});
  REQUIRE(test_util::eventually([&] { return seen->load() != -1; }, 20s));
  CHECK(seen->load() == 1);
  CHECK(std::chrono::steady_clock::now() - t0 < 5s);
  CHECK(sched.slot_steals() > slot_steals);
}

TEST_CASE("a burst of 20,000 jobs from one process is shared between the workers") {
  otp::node node{otp::node_options{.threads = 2}};
  auto& sched = scheduler_of(node);
  auto before = sched.steals();
  REQUIRE(run_burst(node, 20'000));
  CHECK(sched.steals() - before > 100);
}

namespace {

/// How many threads of this process carry `name` (/proc/self/task/*/comm).
std::size_t threads_named(const std::string& name) {
  std::size_t n = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm{task.path() / "comm"};
    std::string line;
    if (std::getline(comm, line) && line == name)
      ++n;
  }
  return n;
}

}  // namespace

TEST_CASE("the scheduler's threads are named otp.scheduler, not like CAF's I/O thread") {
  auto before = threads_named("otp.scheduler");
  {
    otp::node node{otp::node_options{.threads = 3}};
    CHECK(test_util::eventually([&] { return threads_named("otp.scheduler") == before + 3; }));
    CHECK(threads_named("caf.multiplexer") <= 1);  // CAF's own multiplexer, if it runs
  }
  CHECK(threads_named("otp.scheduler") == before);
}

namespace {

struct burn {
  std::chrono::milliseconds for_how_long;
};

/// Keeps its scheduler thread busy for the time asked, then answers.
struct burner {
  bool handle_call(const burn& b) {
    auto until = std::chrono::steady_clock::now() + b.for_how_long;
    while (std::chrono::steady_clock::now() < until) {
    }
    return true;
  }
};

std::chrono::nanoseconds busy_sum(otp::node& n) {
  std::chrono::nanoseconds sum{0};
  for (const auto& t : otp::detail::scheduler_times(n))
    sum += t.busy;
  return sum;
}

}  // namespace

TEST_CASE("scheduler times: a callback's 300 ms count as busy, an idle node's do not") {
  otp::node node{otp::node_options{.threads = 2}};
  REQUIRE(otp::detail::scheduler_times(node).size() == 2);
  auto s = otp::gen_server::start<burner>(node).value();
  auto before = busy_sum(node);
  std::this_thread::sleep_for(std::chrono::milliseconds{300});
  auto idle = busy_sum(node) - before;
  CHECK(idle < std::chrono::milliseconds{100});  // the poll loops run, but count as idle
  before = busy_sum(node);
  auto t0 = std::chrono::steady_clock::now();
  CHECK(otp::gen_server::call(s, burn{std::chrono::milliseconds{300}}));
  auto elapsed = std::chrono::steady_clock::now() - t0;
  auto busy = busy_sum(node) - before;
  CHECK(busy >= std::chrono::milliseconds{295});
  CHECK(busy <= 2 * elapsed + std::chrono::milliseconds{5});
  for (const auto& t : otp::detail::scheduler_times(node))
    CHECK(t.busy <= t.total);
}

TEST_CASE("scheduler times: none for the schedulers that keep none") {
  otp::node node{otp::node_options{.threads = 1, .policy = otp::scheduler_policy::sharing}};
  CHECK(otp::detail::scheduler_times(node).empty());
}
