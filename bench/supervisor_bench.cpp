// Supervisor benchmarks, the caf-otp side of bench/erlang/supervisor_bench.erl.
//
//   supervisor_bench restart     [N=2000]    [--threads T=2] [--only quiet] [--wait W=condvar]
//   supervisor_bench start_child [N=100000]  [--threads T=2] [--reps R=5] [--only async|blocking]
//                                            [--stop-limit S=60]
//   supervisor_bench memory      [N=1000000] [--threads T=2] [--stop-limit S=60]
//
// restart: a one_for_one supervisor (intensity 10,000,000 per 1 s) with one permanent
//   gen_server child. N times, the child records steady_clock::now() and throws inside
//   handle_cast; the latency runs to the moment the replacement's init runs. As in the Erlang
//   benchmark, restarts are spread over fresh supervisors, 10 each (after 200 warm-up
//   restarts). Measured with the logger off (cafotp_restart_*, and cafotp_restart_t<T>_* to
//   compare thread counts), then, unless `--only quiet`: with all N restarts on one
//   supervisor, with reports formatted but dropped by a no-op sink, and with the default
//   logger (stderr redirected to a temporary file). p50/p99 in microseconds. An instrumented
//   run splits the latency: throw to the child's terminate, terminate to the supervisor's
//   call of the start function, start function to the new child's init.
//   The main thread drives the crashes and sleeps meanwhile (--wait condvar); `atomic`
//   (std::atomic::wait, which yields the CPU up to 16 times before it sleeps and so competes
//   with a scheduler thread) and `spin` are there to show the driver's influence.
// start_child: a simple_one_for_one supervisor whose template is an idle gen_server taking
//   one int; a starter gen_server chains N async_start_child calls, each from the previous
//   one's callback; timed from the kick-off to the starter's reply. 10,000 and N children on
//   fresh supervisors, R repetitions each (median, min, max); between repetitions the
//   supervisor is killed, as in the Erlang benchmark. Then, for information: the blocking
//   start_child from the main thread (10,000 children), and the orderly stop
//   (gen_server::stop) of 10,000 and of N children, each given S seconds.
// memory: N idle children started through async_start_child; VmRSS growth / N, the time to
//   start them and the time of the orderly stop of the supervisor, which is given S seconds.
//
// A stop that does not finish within its S seconds is reported (`*_timed_out 1`) and the
// program exits at once without waiting (std::_Exit). Every figure is printed as
// `RESULT <name> <value> <unit>`, like bench/erlang.

#include <otp/caf.hpp>
#include <otp/detail/server_impl.hpp>
#include <otp/gen_server.hpp>
#include <otp/logger.hpp>
#include <otp/node.hpp>
#include <otp/process.hpp>
#include <otp/supervisor.hpp>
#include "process/server_core.hpp"

#include <caf/actor_control_block.hpp>
#include <caf/default_attachable.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/exit_reason.hpp>
#include <caf/send.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace gen_server = otp::gen_server;
namespace supervisor = otp::supervisor;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

// -- output helpers --------------------------------------------------------------------------

void result(const std::string& name, double value, const char* unit, int decimals = 1) {
  std::printf("RESULT %s %.*f %s\n", name.c_str(), decimals, value, unit);
  std::fflush(stdout);
}

double seconds(clock_type::duration d) {
  return std::chrono::duration<double>(d).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/// Nearest-rank percentile of a sorted list (as bench_util:percentile/2).
double percentile(const std::vector<double>& sorted, double p) {
  auto rank = static_cast<std::size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::max<std::size_t>(rank, 1);
  return sorted[rank - 1];
}

void report_reps(const std::string& name, const std::vector<double>& values, const char* unit) {
  result(name, median(values), unit, 0);
  result(name + "_min", *std::min_element(values.begin(), values.end()), unit, 0);
  result(name + "_max", *std::max_element(values.begin(), values.end()), unit, 0);
}

/// The process's resident set size in bytes (VmRSS of /proc/self/status).
std::int64_t rss_bytes() {
  std::ifstream in{"/proc/self/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stoll(line.substr(6)) * 1024;
  return -1;
}

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock_type::now().time_since_epoch())
    .count();
}

std::int64_t thread_cpu_ns() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

/// Logging off: a level above `error`, the highest one, so that reports are not even formatted
/// (Erlang's `logger:set_primary_config(level, none)`). caf-otp has no named level for it.
constexpr auto log_off = static_cast<otp::log_level>(static_cast<int>(otp::log_level::error) + 1);

// -- restart ---------------------------------------------------------------------------------

/// How the main thread waits for the new child. condvar (default): it sleeps in
/// pthread_cond_wait. atomic: std::atomic::wait, whose libstdc++ implementation calls
/// sched_yield up to 16 times before it sleeps, which steals the CPU from a scheduler thread
/// sharing it and adds several µs to the measured restart. spin: busy-waits.
enum class wait_kind { condvar, atomic_wait, spin };
wait_kind wait_mode = wait_kind::condvar;

struct crash {};

/// Shared between the bench (main thread) and the successive children.
struct probe {
  std::atomic<std::int64_t> crashed_at{0};
  std::atomic<std::int64_t> started_at{0};
  // Only with the instrumented start function (the breakdown): terminate ran, start called.
  std::atomic<std::int64_t> terminated_at{0};
  std::atomic<std::int64_t> start_called_at{0};
  std::atomic<std::int64_t> terminated_cpu{0}, start_called_cpu{0};
  std::atomic<std::uint64_t> terminated_tid{0}, start_called_tid{0};
  std::atomic<std::uint32_t> generation{0};  // bumped by each init, after the fields below
  bool instrumented = false;                 // the breakdown run: terminate records too
  std::mutex mtx;
  std::condition_variable cv;
  otp::pid child;
};

/// The child: reports each start from init, crashes by throwing on `crash`.
struct crasher {
  std::shared_ptr<probe> p;

  void init(std::shared_ptr<probe> shared) {
    p = std::move(shared);
    p->started_at.store(now_ns(), std::memory_order_relaxed);
    {
      std::lock_guard guard{p->mtx};
      p->child = otp::self();
      p->generation.fetch_add(1, std::memory_order_release);
    }
    if (wait_mode == wait_kind::atomic_wait)
      p->generation.notify_one();
    else if (wait_mode == wait_kind::condvar)
      p->cv.notify_one();
  }

  void handle_cast(const crash&) {
    p->crashed_at.store(now_ns(), std::memory_order_relaxed);
    throw std::runtime_error("boom");
  }

  void terminate(const otp::exit_reason&) {
    if (!p->instrumented)
      return;
    p->terminated_at.store(now_ns(), std::memory_order_relaxed);
    p->terminated_cpu = thread_cpu_ns();
    p->terminated_tid = std::hash<std::thread::id>{}(std::this_thread::get_id());
  }
};

/// otp::start_with<crasher>(p), plus a timestamp when the supervisor calls it.
otp::start_function instrumented_start(std::shared_ptr<probe> p) {
  return otp::start_function{[p](const otp::extra_args&) -> otp::start_function::result_type {
                               p->start_called_at.store(now_ns(), std::memory_order_relaxed);
                               p->start_called_cpu = thread_cpu_ns();
                               p->start_called_tid =
                                 std::hash<std::thread::id>{}(std::this_thread::get_id());
                               auto r = gen_server::start_link<crasher>(p);
                               if (!r)
                                 return otp::unexpected{r.error()};
                               return otp::pid{*r};
                             },
                             "crasher"};
}

struct breakdown {
  std::vector<double> unwind_to_terminate;  // throw, unwinding, stop_with, terminate
  std::vector<double> terminate_to_start;   // quit, cleanup, down to the supervisor, its handling
  std::vector<double> start_to_init;        // spawn and construct the new child, up to init
  std::vector<double> cpu_terminate_to_start;
};

/// Crashes the child of a fresh supervisor `n` times; appends the latencies in µs.
void restart_run(otp::node& node, std::size_t n, std::vector<double>& out,
                 breakdown* parts = nullptr) {
  auto p = std::make_shared<probe>();
  p->instrumented = parts != nullptr;
  auto start = parts ? instrumented_start(p) : otp::start_with<crasher>(p);
  auto sup =
    supervisor::start_link(
      node, {.strategy = otp::strategy::one_for_one, .intensity = 10'000'000, .period = 1s},
      {{.id = "crasher", .start = start}})
      .value();
  for (std::size_t i = 0; i < n; ++i) {
    auto gen = p->generation.load(std::memory_order_acquire);
    otp::pid child;
    {
      std::lock_guard guard{p->mtx};
      child = p->child;
    }
    gen_server::cast(otp::server_ref<crasher>{child}, crash{});
    switch (wait_mode) {
      case wait_kind::condvar: {
        std::unique_lock guard{p->mtx};
        p->cv.wait(guard, [&] { return p->generation.load(std::memory_order_acquire) != gen; });
        break;
      }
      case wait_kind::atomic_wait:
        p->generation.wait(gen, std::memory_order_acquire);
        break;
      case wait_kind::spin:
        while (p->generation.load(std::memory_order_acquire) == gen)
          ;
        break;
    }
    auto latency =
      p->started_at.load(std::memory_order_relaxed) - p->crashed_at.load(std::memory_order_relaxed);
    out.push_back(static_cast<double>(latency) / 1000.0);
    if (parts) {
      auto us = [](std::int64_t a, std::int64_t b) { return static_cast<double>(b - a) / 1000.0; };
      auto c = p->crashed_at.load(), t = p->terminated_at.load(), s = p->start_called_at.load(),
           in = p->started_at.load();
      parts->unwind_to_terminate.push_back(us(c, t));
      parts->terminate_to_start.push_back(us(t, s));
      parts->start_to_init.push_back(us(s, in));
      if (p->terminated_tid == p->start_called_tid)
        parts->cpu_terminate_to_start.push_back(us(p->terminated_cpu, p->start_called_cpu));
    }
  }
  if (auto r = gen_server::stop(sup, otp::exit_reason::shutdown(), 10s); !r) {
    std::fprintf(stderr, "restart: the supervisor did not stop\n");
    std::exit(1);
  }
}

std::vector<double> restart_latencies(otp::node& node, std::size_t n, std::size_t batch,
                                      breakdown* parts = nullptr) {
  constexpr std::size_t warmup = 200;
  std::vector<double> ignored;
  for (std::size_t done = 0; done < warmup; done += batch)
    restart_run(node, std::min(batch, warmup - done), ignored);
  std::vector<double> samples;
  samples.reserve(n);
  for (std::size_t done = 0; done < n; done += batch)
    restart_run(node, std::min(batch, n - done), samples, parts);
  std::sort(samples.begin(), samples.end());
  return samples;
}

void report_latencies(const std::string& name, const char* label, const std::vector<double>& s) {
  std::printf("restart latency (%s), us: min %.1f p50 %.1f p90 %.1f p99 %.1f max %.1f\n", label,
              s.front(), percentile(s, 50), percentile(s, 90), percentile(s, 99), s.back());
  result(name + "_p50_us", percentile(s, 50), "us");
  result(name + "_p99_us", percentile(s, 99), "us");
}

/// Runs `f` with file descriptor 2 pointing to a temporary file; returns the bytes written.
template <class F>
long with_stderr_to_file(F f) {
  char path[] = "/tmp/supervisor_bench_log.XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0)
    throw std::runtime_error("mkstemp failed");
  std::fflush(stderr);
  int saved = ::dup(2);
  ::dup2(fd, 2);
  f();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  long size = ::lseek(fd, 0, SEEK_END);
  ::close(fd);
  ::unlink(path);
  return size;
}

void restart_bench(std::size_t n, std::size_t threads, const std::string& only) {
  constexpr std::size_t per_sup = 10;
  std::printf(
    "supervisor restart: N = %zu (after 200 warm-up restarts), %zu restarts per "
    "supervisor, %zu scheduler threads (work stealing)\n",
    n, per_sup, threads);
  otp::node node{otp::node_options{.threads = threads}};
  auto& log = node.logger();
  auto default_level = log.level();

  log.set_level(log_off);
  auto quiet = restart_latencies(node, n, per_sup);
  // The runs with other thread counts (`--only quiet`) report under their own names only:
  // run_supervisor.sh keeps the last value of each name, and the main figure is this run's.
  if (only != "quiet")
    report_latencies("cafotp_restart", "logger off", quiet);
  report_latencies("cafotp_restart_t" + std::to_string(threads), "logger off", quiet);
  {
    breakdown parts;
    auto total = restart_latencies(node, n, per_sup, &parts);
    std::printf(
      "breakdown (logger off, instrumented start function; median us): total %.1f = "
      "throw to terminate %.1f + terminate to the supervisor's start call %.1f + "
      "start call to init %.1f\n",
      median(total), median(parts.unwind_to_terminate), median(parts.terminate_to_start),
      median(parts.start_to_init));
    if (!parts.cpu_terminate_to_start.empty())
      std::printf(
        "  of the terminate-to-start-call part, CPU time of the scheduler thread "
        "(when both ran on the same one, %zu of %zu): median %.1f us\n",
        parts.cpu_terminate_to_start.size(), total.size(), median(parts.cpu_terminate_to_start));
  }
  if (only == "quiet")
    return;
  auto single = restart_latencies(node, n, n);

  log.set_level(default_level);
  log.set_sink([](const otp::log_event&) {});
  auto formatted = restart_latencies(node, n, per_sup);

  log.set_sink({});  // the default sink: stderr, here a file
  std::vector<double> logged;
  auto bytes = with_stderr_to_file([&] { logged = restart_latencies(node, n, per_sup); });
  std::printf("logged run wrote %ld bytes of reports (deleted)\n", bytes);

  report_latencies("cafotp_restart_logged", "default logger, stderr to a file", logged);
  report_latencies("cafotp_restart_nullsink", "reports formatted, sink drops them", formatted);
  report_latencies("cafotp_restart_single_sup", "logger off, all restarts on one supervisor",
                   single);
}

// -- start_child -----------------------------------------------------------------------------

/// The template child: idle, one int argument.
struct idle {
  void init(int) {}
};

struct start_many {
  otp::sup_ref sup;
  std::uint64_t count;
};

/// Starts children through async_start_child, one after the other, without blocking; replies
/// the number started once all are.
struct starter {
  std::uint64_t started = 0;
  std::uint64_t failed = 0;

  otp::call_result<std::uint64_t> handle_call(const start_many& r,
                                              otp::from<std::uint64_t> caller) {
    started = 0;
    failed = 0;
    next(r.sup, r.count, caller);
    return otp::noreply();
  }

  void next(const otp::sup_ref& sup, std::uint64_t left, const otp::from<std::uint64_t>& caller) {
    if (left == 0) {
      caller.reply(started);
      return;
    }
    supervisor::async_start_child(
      sup,
      [this, sup, left, caller](otp::expected<otp::pid, otp::sup_error> r) {
        if (r)
          ++started;
        else
          ++failed;
        next(sup, left - 1, caller);
      },
      static_cast<int>(left));
  }
};

otp::sup_ref start_pool(otp::node& node) {
  return supervisor::start_link(node, {.strategy = otp::strategy::simple_one_for_one},
                                {{.id = "idle", .start = otp::start_with<idle, int>()}})
    .value();
}

/// Starts `n` children of `sup` from `s`; returns the elapsed time.
clock_type::duration start_children(const otp::server_ref<starter>& s, const otp::sup_ref& sup,
                                    std::uint64_t n) {
  auto t0 = clock_type::now();
  auto started = gen_server::call(s, start_many{sup, n}, otp::infinity);
  auto took = clock_type::now() - t0;
  if (started != n) {
    std::fprintf(stderr, "start_child: started %llu of %llu children\n",
                 static_cast<unsigned long long>(started), static_cast<unsigned long long>(n));
    std::exit(1);
  }
  return took;
}

void await_process_count(otp::node& node, std::size_t target) {
  while (node.process_count() > target)
    std::this_thread::sleep_for(10ms);
}

/// Kills the supervisor, which takes its linked children down; waits until they are gone
/// (as the Erlang benchmark's kill_sup). Returns the time it took.
clock_type::duration kill_pool(otp::node& node, const otp::sup_ref& sup, std::size_t baseline) {
  auto t0 = clock_type::now();
  caf::anon_send_exit(otp::to_actor(sup), caf::exit_reason::kill);
  await_process_count(node, baseline);
  return clock_type::now() - t0;
}

double per_second(std::uint64_t n, clock_type::duration d) {
  return static_cast<double>(n) / seconds(d);
}

void start_child_bench(std::uint64_t n, std::size_t threads, std::size_t reps,
                       const std::string& only, std::size_t stop_limit_s) {
  constexpr std::uint64_t small_n = 10'000;
  std::printf("supervisor start_child: N = %llu and %llu, R = %zu, %zu scheduler threads\n",
              static_cast<unsigned long long>(small_n), static_cast<unsigned long long>(n), reps,
              threads);
  otp::node node{otp::node_options{.threads = threads}};
  auto s = gen_server::start<starter>(node).value();
  auto baseline = node.process_count();

  auto rates = [&](std::uint64_t count) {
    std::printf(" %llu children:\n", static_cast<unsigned long long>(count));
    std::vector<double> values;
    for (std::size_t i = 0; i < reps; ++i) {
      auto sup = start_pool(node);
      auto took = start_children(s, sup, count);
      auto killed = kill_pool(node, sup, baseline);
      values.push_back(per_second(count, took));
      std::printf("  rep %zu/%zu: %.0f children/s (%.3f s; kill and wait: %.3f s)\n", i + 1, reps,
                  values.back(), seconds(took), seconds(killed));
      std::fflush(stdout);
    }
    return values;
  };
  {  // warm-up
    auto sup = start_pool(node);
    (void)start_children(s, sup, 1000);
    kill_pool(node, sup, baseline);
  }
  std::vector<double> small, large;
  if (only != "blocking") {
    small = rates(small_n);
    large = rates(n);
  }
  if (only == "async") {
    report_reps("cafotp_start_child_10k_per_s", small, "children/s");
    report_reps("cafotp_start_child_per_s", large, "children/s");
    return;
  }

  // For information: blocking start_child from a plain thread, and an orderly stop.
  std::vector<double> blocking;
  for (std::size_t i = 0; i < reps; ++i) {
    auto sup = start_pool(node);
    auto t0 = clock_type::now();
    for (std::uint64_t k = 0; k < small_n; ++k)
      if (!supervisor::start_child(sup, static_cast<int>(k))) {
        std::fprintf(stderr, "blocking start_child failed\n");
        std::exit(1);
      }
    blocking.push_back(per_second(small_n, clock_type::now() - t0));
    kill_pool(node, sup, baseline);
  }
  std::printf(" blocking start_child from the main thread, %llu children: median %.0f/s\n",
              static_cast<unsigned long long>(small_n), median(blocking));
  if (only == "blocking") {
    report_reps("cafotp_start_child_blocking_10k_per_s", blocking, "children/s");
    return;
  }

  report_reps("cafotp_start_child_10k_per_s", small, "children/s");
  report_reps("cafotp_start_child_per_s", large, "children/s");
  report_reps("cafotp_start_child_blocking_10k_per_s", blocking, "children/s");

  for (auto count : {small_n, n}) {
    auto sup = start_pool(node);
    (void)start_children(s, sup, count);
    auto t0 = clock_type::now();
    auto r =
      gen_server::stop(sup, otp::exit_reason::shutdown(), std::chrono::seconds{stop_limit_s});
    auto took = clock_type::now() - t0;
    std::string name = count == small_n ? "cafotp_sup_stop_10k_s" : "cafotp_sup_stop_s";
    if (!r) {
      std::printf(
        " orderly stop of %llu children: not finished after %.1f s; exiting without "
        "waiting\n",
        static_cast<unsigned long long>(count), seconds(took));
      result(name, seconds(took), "s", 1);
      result(name + "_timed_out", 1, "bool", 0);
      std::_Exit(0);
    }
    await_process_count(node, baseline);
    std::printf(" orderly stop (gen_server::stop) of %llu children: %.3f s\n",
                static_cast<unsigned long long>(count), seconds(took));
    result(name, seconds(took), "s", 3);
  }
  (void)gen_server::stop(s);
}

// -- memory ----------------------------------------------------------------------------------

void print_sizes() {
  std::printf(
    "sizes (B): caf::event_based_actor %zu, otp::detail::server_core %zu, "
    "server_impl<idle> %zu, actor_control_block %zu (actor storage = 64 + object), "
    "caf::default_attachable %zu, otp::pid %zu\n",
    sizeof(caf::event_based_actor), sizeof(otp::detail::server_core),
    sizeof(otp::detail::server_impl<idle>), sizeof(caf::actor_control_block),
    sizeof(caf::default_attachable), sizeof(otp::pid));
}

void memory_bench(std::uint64_t n, std::size_t threads, std::size_t stop_limit_s) {
  std::printf("supervisor memory: N = %llu idle children, %zu scheduler threads\n",
              static_cast<unsigned long long>(n), threads);
  print_sizes();
  otp::node node{otp::node_options{.threads = threads}};
  auto s = gen_server::start<starter>(node).value();
  auto sup = start_pool(node);
  {  // warm the allocator and the code paths, then return to an empty pool
    (void)start_children(s, sup, 1000);
    for (const auto& c : supervisor::which_children(sup).value())
      (void)supervisor::terminate_child(sup, c.pid);
  }
  (void)supervisor::count_children(sup).value();
  auto before = rss_bytes();
  auto took = start_children(s, sup, n);
  auto counts = supervisor::count_children(sup).value();  // everything processed
  std::this_thread::sleep_for(200ms);
  auto after = rss_bytes();
  if (counts.active != n) {
    std::fprintf(stderr, "memory: %zu children active, expected %llu\n", counts.active,
                 static_cast<unsigned long long>(n));
    std::exit(1);
  }
  std::printf("started %llu children in %.2f s (%.0f/s); VmRSS %.1f MB -> %.1f MB\n",
              static_cast<unsigned long long>(n), seconds(took), per_second(n, took),
              static_cast<double>(before) / 1e6, static_cast<double>(after) / 1e6);
  result("cafotp_bytes_per_idle_child",
         static_cast<double>(after - before) / static_cast<double>(n), "B", 0);
  result("cafotp_memory_start_s", seconds(took), "s", 2);

  auto t0 = clock_type::now();
  auto r = gen_server::stop(sup, otp::exit_reason::shutdown(), std::chrono::seconds{stop_limit_s});
  auto stopped = clock_type::now() - t0;
  if (!r) {
    std::printf(
      "orderly stop of %llu children: not finished after %.1f s; exiting without "
      "waiting\n",
      static_cast<unsigned long long>(n), seconds(stopped));
    result("cafotp_memory_stop_s", seconds(stopped), "s", 1);
    result("cafotp_memory_stop_timed_out", 1, "bool", 0);
    std::fflush(stdout);
    std::_Exit(0);
  }
  std::printf("orderly stop (gen_server::stop) of %llu children: %.2f s\n",
              static_cast<unsigned long long>(n), seconds(stopped));
  result("cafotp_memory_stop_s", seconds(stopped), "s", 2);
  auto t1 = clock_type::now();
  await_process_count(node, 1);
  (void)gen_server::stop(s);
  std::printf("children gone %.2f s after the stop returned\n", seconds(clock_type::now() - t1));
}

// -- driver ----------------------------------------------------------------------------------

[[noreturn]] void usage(const std::string& msg) {
  std::fprintf(stderr,
               "%s\nusage: supervisor_bench restart [N=2000] [--threads T=2] [--only quiet]"
               " [--wait condvar|atomic|spin]\n"
               "       supervisor_bench start_child [N=100000] [--threads T=2] [--reps R=5]"
               " [--only async|blocking] [--stop-limit S=60]\n"
               "       supervisor_bench memory [N=1000000] [--threads T=2] [--stop-limit S=60]\n",
               msg.c_str());
  std::exit(2);
}

std::uint64_t positive(const std::string& what, const char* arg) {
  if (!arg)
    usage(what + " needs a value");
  char* end = nullptr;
  auto v = std::strtoull(arg, &end, 10);
  if (*arg == '\0' || *end != '\0' || v == 0)
    usage(what + ": not a positive integer: " + arg);
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2)
    usage("no mode");
  std::string mode = argv[1];
  std::uint64_t n = 0;
  std::size_t threads = 2;
  std::size_t reps = 5;
  std::size_t stop_limit = 60;
  std::string only;
  for (int i = 2; i < argc; ++i) {
    std::string_view a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (a == "--threads")
      threads = positive("--threads", v), ++i;
    else if (a == "--reps")
      reps = positive("--reps", v), ++i;
    else if (a == "--wait" && v) {
      std::string_view w = v;
      if (w == "condvar")
        wait_mode = wait_kind::condvar;
      else if (w == "atomic")
        wait_mode = wait_kind::atomic_wait;
      else if (w == "spin")
        wait_mode = wait_kind::spin;
      else
        usage("--wait: condvar, atomic or spin");
      ++i;
    } else if (a == "--only" && v)
      only = v, ++i;
    else if (a == "--stop-limit")
      stop_limit = positive("--stop-limit", v), ++i;
    else if (n == 0 && !a.empty() && a[0] != '-')
      n = positive("N", argv[i]);
    else
      usage("unknown argument: " + std::string{a});
  }
  if (mode == "restart")
    restart_bench(n ? n : 2000, threads, only);
  else if (mode == "start_child")
    start_child_bench(n ? n : 100'000, threads, reps, only, stop_limit);
  else if (mode == "memory")
    memory_bench(n ? n : 1'000'000, threads, stop_limit);
  else
    usage("unknown mode: " + mode);
  return 0;
}
