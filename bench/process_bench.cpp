// Plain processes' messages: otp::send, a selective otp::receive and send_after, and otp::send
// to a gen_server's handle_info — the paths a user's message takes outside gen_server calls.
//
//   process_bench [--n N] [--reps R] [--threads T] [--only NAME-SUBSTRING]
//
// pingpong: two spawned processes, one sends `ping` and waits for `pong` with a selective
//   receive (two clauses), the other answers: round trips per second.
// selective: a process sends itself N messages and receives each while a message of another
//   type waits ahead of it in its mailbox (every receive passes over it): messages per second.
// info: a plain thread sends N messages to a gen_server's handle_info, then calls it: messages
//   per second.
// timer: a process sets N send_after timers of 0 ms to itself and receives each: timers per
//   second.
// Results are printed as `RESULT <name> <value> <unit>` (median of R repetitions), as
// gen_server_bench does. Under `valgrind --tool=callgrind` (with --reps 1), instructions per
// operation are the difference of two runs with different --n, divided by the difference.

#include <otp/gen_server.hpp>
#include <otp/node.hpp>
#include <otp/process.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

struct ping {
  otp::pid from;
};
struct pong {};
struct stop {};
struct noise {};
struct tick {};
struct get {};

struct sink {
  using info_types = otp::types<tick>;
  std::uint64_t n = 0;
  void handle_info(const tick&) { ++n; }
  std::uint64_t handle_call(const get&) { return n; }
};

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

/// Runs `body` in a spawned process and waits for it; the seconds it measured.
template <class F>
double in_process(otp::node& node, F body) {
  auto seconds = std::make_shared<double>(0);
  auto p = otp::spawn(node, [body, seconds] { *seconds = body(); });
  otp::await_exit(p);
  return *seconds;
}

double pingpong(otp::node& node, std::uint64_t n) {
  auto echo = otp::spawn(node, [] {
    for (bool more = true; more;)
      more = otp::receive([](const ping& p) { return otp::send(p.from, pong{}), true; },
                          [](const stop&) { return false; });
  });
  auto s = in_process(node, [echo, n] {
    auto start = clock_type::now();
    for (std::uint64_t i = 0; i < n; ++i) {
      otp::send(echo, ping{otp::self()});
      otp::receive([](const pong&) {}, [](const stop&) {});
    }
    return seconds_since(start);
  });
  otp::send(echo, stop{});
  otp::await_exit(echo);
  return static_cast<double>(n) / s;
}

double selective(otp::node& node, std::uint64_t n) {
  auto s = in_process(node, [n] {
    auto me = otp::self();
    auto start = clock_type::now();
    otp::send(me, noise{});
    for (std::uint64_t i = 0; i < n; ++i) {
      otp::send(me, tick{});
      otp::receive([](const tick&) {});
    }
    otp::receive([](const noise&) {});
    return seconds_since(start);
  });
  return static_cast<double>(n) / s;
}

double info(otp::node& node, std::uint64_t n) {
  auto server = otp::gen_server::start<sink>(node).value();
  auto start = clock_type::now();
  for (std::uint64_t i = 0; i < n; ++i)
    otp::send(server, tick{});
  auto got = otp::gen_server::call(server, get{});
  auto s = seconds_since(start);
  if (got != n)
    std::fprintf(stderr, "info: %llu of %llu\n", static_cast<unsigned long long>(got),
                 static_cast<unsigned long long>(n));
  otp::gen_server::stop(server);
  return static_cast<double>(n) / s;
}

double timer(otp::node& node, std::uint64_t n) {
  auto s = in_process(node, [n] {
    auto start = clock_type::now();
    for (std::uint64_t i = 0; i < n; ++i) {
      otp::send_after(0ms, tick{});
      otp::receive([](const tick&) {});
    }
    return seconds_since(start);
  });
  return static_cast<double>(n) / s;
}

struct bench {
  const char* name;
  double (*run)(otp::node&, std::uint64_t);
  const char* unit;
  std::uint64_t scale;  // of --n: timers are slower
};

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t n = 200'000;
  int reps = 5;
  std::size_t threads = 2;
  std::string only;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view arg = argv[i];
    if (arg == "--n")
      n = std::strtoull(argv[i + 1], nullptr, 10);
    else if (arg == "--reps")
      reps = std::atoi(argv[i + 1]);
    else if (arg == "--threads")
      threads = std::strtoul(argv[i + 1], nullptr, 10);
    else if (arg == "--only")
      only = argv[i + 1];
    else {
      std::fprintf(stderr, "usage: process_bench [--n N] [--reps R] [--threads T] [--only NAME]\n");
      return 2;
    }
  }
  otp::node node{otp::node_options{.threads = threads, .log = otp::log_level::error}};
  const bench benches[] = {{"pingpong", pingpong, "round_trips/s", 1},
                           {"selective", selective, "msgs/s", 1},
                           {"info", info, "msgs/s", 1},
                           {"timer", timer, "timers/s", 20}};
  for (const auto& b : benches) {
    if (!only.empty() && std::string_view{b.name}.find(only) == std::string_view::npos)
      continue;
    std::vector<double> results;
    for (int r = 0; r < reps; ++r)
      results.push_back(b.run(node, std::max<std::uint64_t>(n / b.scale, 1)));
    std::sort(results.begin(), results.end());
    std::printf("RESULT process_%s %.0f %s\n", b.name, results[results.size() / 2], b.unit);
  }
}
