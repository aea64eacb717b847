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

#include <algorithm>
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

void measure(const driver& d, counts c) {
  for (int i = 0; i < 2000; ++i)  // warm-up, as the Erlang side
    d.call();
  std::vector<clock_type::duration> times(c.calls);
  auto t0 = clock_type::now();
  for (auto& t : times) {
    auto s = clock_type::now();
    d.call();
    t = clock_type::now() - s;
  }
  auto elapsed = clock_type::now() - t0;
  std::sort(times.begin(), times.end());
  result("call_rt_per_s", per_second(c.calls, elapsed), "rt/s");
  result("call_p50_us", percentile_us(times, 50), "us");
  result("call_p99_us", percentile_us(times, 99), "us");
  result("cast_per_s", time_casts(d, d.cast, c.casts), "msgs/s");
  result("cast4k_per_s", time_casts(d, d.blob, c.blobs), "msgs/s");
}

}  // namespace

int run_client(otp::node& n, std::function<driver()> make, counts c) {
  std::promise<void> done;
  otp::spawn(n, [&] {
    measure(make(), c);
    done.set_value();
  });
  auto f = done.get_future();
  if (f.wait_for(std::chrono::minutes{5}) != std::future_status::ready) {
    std::fprintf(stderr, "dist_bench: the client did not finish in 5 minutes\n");
    std::_Exit(1);
  }
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
