// Distribution benchmark, C++ side: a `bench` server or a client of one, on Erlang's
// distribution protocol or on BASP, in its own OS process. bench/run_dist.sh pairs them
// (and the Erlang side, bench/erlang/dist_bench.erl) and prints the table.
//
//   dist_bench erl server NAME            serves `bench` as NAME@host (epmd: ERL_EPMD_PORT)
//   dist_bench erl client NAME TARGET [N CAST_N BLOB_N]
//   dist_bench basp server DIR            prints its address (tcp), serves `bench`
//   dist_bench basp client DIR ADDRESS [N CAST_N BLOB_N]

#include "dist_bench.hpp"

#include <otp/spawn.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <string_view>
#include <thread>
#include <vector>

namespace dist_bench {

namespace {

using clock_type = std::chrono::steady_clock;

double per_second(std::size_t n, clock_type::duration d) {
  return static_cast<double>(n) / std::chrono::duration<double>(d).count();
}

double percentile_us(std::vector<clock_type::duration>& sorted, double p) {
  auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size()));
  rank = std::min(rank, sorted.size() - 1);
  return std::chrono::duration<double, std::micro>(sorted[rank]).count();
}

void result(std::string_view name, double value, std::string_view unit) {
  fmt::print("RESULT {} {:.1f} {}\n", name, value, unit);
  std::fflush(stdout);
}

double time_casts(const driver& d, const std::function<void()>& one, std::size_t n) {
  auto t0 = clock_type::now();
  for (std::size_t i = 0; i < n; ++i)
    one();
  d.sync();
  return per_second(n, clock_type::now() - t0);
}

/// Times `n` sequential calls: rt/s, p50, p99 under `prefix`.
void time_calls(const driver& d, std::size_t n, std::string_view prefix) {
  std::vector<clock_type::duration> times(n);
  auto t0 = clock_type::now();
  for (auto& t : times) {
    auto s = clock_type::now();
    d.call();
    t = clock_type::now() - s;
  }
  auto elapsed = clock_type::now() - t0;
  std::sort(times.begin(), times.end());
  result(fmt::format("{}rt_per_s", prefix), per_second(n, elapsed), "rt/s");
  result(fmt::format("{}p50_us", prefix), percentile_us(times, 50), "us");
  result(fmt::format("{}p99_us", prefix), percentile_us(times, 99), "us");
}

/// `callers` processes calling at once, `n` calls in all: rt/s.
double concurrent_calls(otp::node& node, const driver& d, std::size_t callers, std::size_t n) {
  // From a plain thread (the bench's main): it waits for the processes without holding a
  // scheduler thread.
  std::atomic<std::size_t> left{callers};
  std::promise<void> done;
  auto t0 = clock_type::now();
  for (std::size_t k = 0; k < callers; ++k)
    otp::spawn(node, [&, share = n / callers] {
      for (std::size_t i = 0; i < share; ++i)
        d.call();
      if (left.fetch_sub(1) == 1)
        done.set_value();
    });
  done.get_future().wait();
  return per_second(n / callers * callers, clock_type::now() - t0);
}

/// A field of /proc/self/status in KiB (VmRSS: resident now, VmHWM: the peak since the last
/// reset_peak), 0 if unreadable.
double status_kib(std::string_view field) {
  double kib = 0;
  if (auto* f = std::fopen("/proc/self/status", "r")) {
    char line[256];
    while (std::fgets(line, sizeof line, f) != nullptr) {
      std::string_view l = line;
      if (l.starts_with(field) && l.size() > field.size() && l[field.size()] == ':') {
        kib = std::strtod(line + field.size() + 1, nullptr);
        break;
      }
    }
    std::fclose(f);
  }
  return kib;
}

/// Resets the kernel's resident high-water mark (VmHWM) to what is resident now.
void reset_peak() {
  if (auto* f = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", f);
    std::fclose(f);
  }
}

/// Times `n` casts (as time_casts) and prints their rate as `rate` and, as `peak`, how far the
/// sender's resident memory rose above `base` (KiB, the resident size before the first flood)
/// while it cast them: what floods cost the sender until back-pressure holds it, memory kept
/// from an earlier flood included (bench/erlang/dist_bench.erl measures the same on Erlang's
/// side).
void flood(const driver& d, const std::function<void()>& one, std::size_t n, std::string_view rate,
           std::string_view peak, double base) {
  reset_peak();
  auto per_s = time_casts(d, one, n);
  auto growth = status_kib("VmHWM") - base;
  result(rate, per_s, "msgs/s");
  result(peak, std::max(growth, 0.0), "KiB");
}

std::size_t resident_bytes() {
  std::size_t pages = 0, resident = 0;
  if (auto* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%zu %zu", &pages, &resident) != 2)
      resident = 0;
    std::fclose(f);
  }
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

/// In one process: sequential calls, casts, 4 KiB casts and calls.
void measure(const driver& d, counts c) {
  for (int i = 0; i < 2000; ++i)  // warm-up, as the Erlang side
    d.call();
  time_calls(d, c.calls, "call_");
  auto base = status_kib("VmRSS");
  flood(d, d.cast, c.casts, "cast_per_s", "cast_peak_kib", base);
  flood(d, d.blob, c.blobs, "cast4k_per_s", "cast4k_peak_kib", base);
  result("call4k_rt_per_s", time_casts(d, d.blob_call, c.calls / 2), "rt/s");
}

/// In one process: what a completed call leaves behind.
void measure_retained(const driver& d) {
  // What a completed call leaves behind: resident memory over 20k more calls (after the
  // runs above warmed every cache and pool up).
  // DIST_BENCH_RETAINED_N: more calls, to tell a one-off growth from one per call.
  const char* env = std::getenv("DIST_BENCH_RETAINED_N");
  const std::size_t more = env != nullptr ? std::strtoull(env, nullptr, 10) : 20'000;
  auto before = resident_bytes();
  for (std::size_t i = 0; i < more; ++i)
    d.call();
  auto after = resident_bytes();
  result("retained_b_per_call",
         after > before ? static_cast<double>(after - before) / static_cast<double>(more) : 0.0,
         "B");
}

}  // namespace

int run_client(otp::node& n, std::function<driver()> make, counts c) {
  auto in_process = [&n](auto f) {
    std::promise<void> done;
    otp::spawn(n, [&] {
      f();
      done.set_value();
    });
    auto finished = done.get_future();
    if (finished.wait_for(std::chrono::minutes{5}) != std::future_status::ready) {
      std::fprintf(stderr, "dist_bench: the client did not finish in 5 minutes\n");
      std::_Exit(1);
    }
  };
  driver d;
  if (std::getenv("DIST_BENCH_CALLS_ONLY") != nullptr) {
    // For strace/perf: the warm-up and the sequential calls from a process, nothing else.
    in_process([&] {
      d = make();
      for (int i = 0; i < 2000; ++i)
        d.call();
      time_calls(d, c.calls, "call_");
    });
    return 0;
  }
  if (const char* only = std::getenv("DIST_BENCH_ONLY")) {
    // For perf: the warm-up and one figure (cast, cast4k, call4k, conc10), nothing else.
    std::string_view which = only;
    in_process([&] {
      d = make();
      for (int i = 0; i < 2000; ++i)
        d.call();
      if (which == "cast")
        flood(d, d.cast, c.casts, "cast_per_s", "cast_peak_kib", status_kib("VmRSS"));
      else if (which == "cast4k")
        flood(d, d.blob, c.blobs, "cast4k_per_s", "cast4k_peak_kib", status_kib("VmRSS"));
      else if (which == "call4k")
        result("call4k_rt_per_s", time_casts(d, d.blob_call, c.calls / 2), "rt/s");
    });
    if (which == "conc10")
      result("conc10_rt_per_s", concurrent_calls(n, d, 10, c.calls), "rt/s");
    return 0;
  }
  in_process([&] {
    d = make();
    measure(d, c);
  });
  // From a plain thread (this one), which blocks where a process parks.
  time_calls(d, c.calls, "thread_call_");
  result("conc10_rt_per_s", concurrent_calls(n, d, 10, c.calls), "rt/s");
  in_process([&] { measure_retained(d); });
  return 0;
}

counts parse_counts(int argc, char** argv, int from) {
  counts c;
  std::size_t* fields[] = {&c.calls, &c.casts, &c.blobs};
  for (int i = 0; i < 3 && from + i < argc; ++i)
    *fields[i] = std::strtoull(argv[from + i], nullptr, 10);
  return c;
}

void serve_forever() {
  std::printf("ready\n");
  std::fflush(stdout);
  for (;;)
    std::this_thread::sleep_for(std::chrono::hours{1});
}

}  // namespace dist_bench

int main(int argc, char** argv) {
  std::string_view proto = argc > 1 ? argv[1] : "";
  if (proto == "erl")
    return dist_bench::run_erlang(argc, argv);
  if (proto == "basp")
    return dist_bench::run_basp(argc, argv);
  std::fprintf(stderr, "usage: dist_bench erl|basp server|client ...\n");
  return 2;
}
