// What an open observer page costs a node: call and echo throughput on a node of N idle
// gen_servers (100,000) with the observer started, without a page (--page off) or with one
// open (--page on), and without the observer at all (--page none: what an observer nobody
// watches costs). bench/run_observer.sh runs the three, the order rotating, and compares.
//
//   observer_bench --page on|off|none|events|table --echo-load PATH [--processes N]
//                  [--calls N] [--duration S]
//
// "A page" is what the page asks of the node while it shows its heaviest view, Processes:
// the event stream (/api/events: the trees taken every 250 ms, the node's figures every
// second) and, every second, the first 100 processes sorted by mailbox length. It is asked by
// a thread of this program, not by a browser: a browser on the same 2 cores would measure its
// own rendering, and a person's browser runs on another machine. `events` and `table` ask
// only the one or the other, to tell where the cost goes.
//
// Results: `RESULT idle_cpu_ms_per_s` (the node's CPU time per second of wall time while
// nothing else runs, less the emulated page's own thread: what watching costs the node,
// steadier than throughput on a shared machine), `RESULT calls_per_s` (the best of 5 runs of
// N calls from one process) and `calls_cpu_us_per_call` (the node's CPU time over those runs
// per call), then echo_load's `echo100_rt_per_s` (100 connections) and `echo_cpu_us_per_rt`.
// Under callgrind, the idle node, the calls and the echo load are dumped apart ("idle",
// "calls", "echo"): instructions per second of an idle node (what the page costs, since it
// asks at the same pace however slow the program runs) and per operation (run_observer.sh
// with CALLGRIND=1).

#include "echo.hpp"

#include <otp/gen_server.hpp>
#include <otp/net/listener.hpp>
#include <otp/observer.hpp>
#include <otp/process.hpp>
#include <otp/spawn.hpp>
#include <otp/supervisor.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>

// Under `valgrind --tool=callgrind`, the calls and the echo load are dumped apart
// (run_observer.sh --callgrind); elsewhere these are no-ops.
#if __has_include(<valgrind/callgrind.h>)
#include <valgrind/callgrind.h>
#else
#define CALLGRIND_ZERO_STATS
#define CALLGRIND_DUMP_STATS_AT(name)
#endif

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

struct add {
  int n;
};

struct counter {
  int value = 0;
  int handle_call(const add& a) { return value += a.n; }
};

int connect_to(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

/// Sends a GET for `target` on a new connection and reads the answer to its end.
std::size_t fetch(std::uint16_t port, std::string_view target) {
  int fd = connect_to(port);
  if (fd < 0)
    return 0;
  auto req =
    fmt::format("GET {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nConnection: close\r\n\r\n", target, port);
  std::size_t got = 0;
  if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
    char buf[65536];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
      got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return got;
}

double seconds_of(const timespec& t) {
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

double thread_cpu_seconds() {
  timespec t{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return seconds_of(t);
}

double process_cpu_seconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  auto tv = [](const timeval& v) { return static_cast<double>(v.tv_sec) + v.tv_usec * 1e-6; };
  return tv(u.ru_utime) + tv(u.ru_stime);
}

/// The page's requests, on a thread, until `stop`; `cpu`: that thread's CPU time so far.
void open_page(std::uint16_t port, std::string_view parts, const std::atomic<bool>& stop,
               std::atomic<std::size_t>& bytes, std::atomic<double>& cpu) {
  int events = -1;
  if (parts != "table") {
    events = connect_to(port);
    auto req = fmt::format("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n", port);
    (void)::send(events, req.data(), req.size(), MSG_NOSIGNAL);
  }
  auto next_page = clock_type::now();
  char buf[65536];
  while (!stop) {
    pollfd p{events, POLLIN, 0};
    if (::poll(&p, 1, 50) > 0)
      if (auto n = ::recv(events, buf, sizeof buf, 0); n > 0)
        bytes += static_cast<std::size_t>(n);
    if (parts != "events" && clock_type::now() >= next_page) {
      bytes += fetch(port, "/api/processes?offset=0&limit=100&sort=-mailbox");
      next_page += 1s;
    }
    cpu = thread_cpu_seconds();
  }
  ::close(events);
}

constexpr int calls_runs = 5;

double calls_per_second(otp::node& node, int n) {
  auto server = otp::gen_server::start<counter>(node).value();
  for (int i = 0; i < 10'000; ++i)  // warm up
    otp::gen_server::call(server, add{1});
  double best = 0;
  for (int rep = 0; rep < calls_runs; ++rep) {
    std::atomic<double> seconds{0};
    auto client = otp::spawn(node, [server, n, &seconds] {
      auto t0 = clock_type::now();
      for (int i = 0; i < n; ++i)
        otp::gen_server::call(server, add{1});
      seconds = std::chrono::duration<double>(clock_type::now() - t0).count();
    });
    otp::await_exit(client);
    best = std::max(best, n / seconds.load());
  }
  otp::gen_server::stop(server).value();
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view page = "off";
  std::string echo_load;
  std::size_t processes = 100'000;
  int calls = 100'000;
  int duration = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view arg = argv[i];
    std::string_view value = argv[i + 1];
    if (arg == "--page")
      page = value;
    else if (arg == "--echo-load")
      echo_load = value;
    else if (arg == "--processes")
      processes = std::strtoul(argv[i + 1], nullptr, 10);
    else if (arg == "--calls")
      calls = std::atoi(argv[i + 1]);
    else if (arg == "--duration")
      duration = std::atoi(argv[i + 1]);
  }
  if (echo_load.empty()) {
    fmt::print(stderr,
               "usage: observer_bench --page on|off|none|events|table --echo-load PATH "
               "[--processes N] [--calls N] [--duration S]\n");
    return 2;
  }
  otp::node node{{.threads = 2}};
  node.logger().set_sink([](const otp::log_event&) {});
  // A tree for the Trees view to take, beside the idle servers.
  auto app = otp::supervisor::start_link(node, otp::start_options{.name = "app"}, {},
                                         {{.id = "a", .start = otp::start_with<counter>()},
                                          {.id = "b", .start = otp::start_with<counter>()}})
               .value();
  std::vector<otp::server_ref<counter>> idle;
  idle.reserve(processes);
  for (std::size_t i = 0; i < processes; ++i)
    idle.push_back(otp::gen_server::start<counter>(node).value());
  auto listener = otp::net::start_listener<echo>(
                    node, {.address = otp::net::endpoint::tcp("127.0.0.1", 0), .io_threads = 2})
                    .value();
  std::optional<otp::observer::server> observer;
  if (page != "none")
    observer.emplace(otp::observer::start(node).value());

  std::atomic<bool> stop{false};
  std::atomic<std::size_t> page_bytes{0};
  std::atomic<double> viewer_cpu{0};
  std::thread viewer;
  if (page != "off" && page != "none")
    viewer = std::thread{[&] { open_page(observer->port(), page, stop, page_bytes, viewer_cpu); }};
  // The same pause in every mode: the node settles after the starts (the acceptors', the
  // observer's), and a page gets the stream's first trees and its first table.
  std::this_thread::sleep_for(1500ms);
  auto cpu0 = process_cpu_seconds() - viewer_cpu;
  auto t0 = clock_type::now();
  CALLGRIND_ZERO_STATS;
  std::this_thread::sleep_for(std::chrono::seconds{duration});
  CALLGRIND_DUMP_STATS_AT("idle");
  auto cpu = process_cpu_seconds() - viewer_cpu - cpu0;
  auto wall = std::chrono::duration<double>(clock_type::now() - t0).count();
  fmt::print("RESULT idle_cpu_ms_per_s {:.2f} ms/s\n", cpu * 1000 / wall);
  // CPU time and, under callgrind, instructions per operation: steadier than throughput on a
  // shared machine. Both count every thread of the node's OS process but the emulated page's.
  auto cpu_calls0 = process_cpu_seconds() - viewer_cpu;
  CALLGRIND_ZERO_STATS;
  auto calls_rate = calls_per_second(node, calls);
  CALLGRIND_DUMP_STATS_AT("calls");
  auto cpu_calls = process_cpu_seconds() - viewer_cpu - cpu_calls0;
  fmt::print("RESULT calls_per_s {:.0f} calls/s\n", calls_rate);
  fmt::print("RESULT calls_cpu_us_per_call {:.3f} us\n", cpu_calls * 1e6 / (calls_runs * calls));
  std::fflush(stdout);
  auto cpu_echo0 = process_cpu_seconds() - viewer_cpu;
  CALLGRIND_ZERO_STATS;
  double echo_rate = 0;
  auto command = fmt::format("{} --port {} --mode echo --conns 100 --duration {}", echo_load,
                             listener.port(), duration);
  if (auto* out = ::popen(command.c_str(), "r")) {
    char line[512];
    while (std::fgets(line, sizeof line, out))
      if (std::string_view{line}.starts_with("RESULT echo100_rt_per_s")) {
        fmt::print("{}", line);
        echo_rate = std::strtod(line + std::strlen("RESULT echo100_rt_per_s"), nullptr);
      }
    ::pclose(out);
  }
  CALLGRIND_DUMP_STATS_AT("echo");
  auto cpu_echo = process_cpu_seconds() - viewer_cpu - cpu_echo0;
  if (echo_rate > 0)
    fmt::print("RESULT echo_cpu_us_per_rt {:.3f} us\n", cpu_echo * 1e6 / (echo_rate * duration));
  stop = true;
  if (viewer.joinable())
    viewer.join();
  fmt::print("# page {}: {} bytes received, {} processes\n", page, page_bytes.load(),
             node.process_count());
  (void)otp::net::stop_listener(listener);
  (void)app;
  return 0;
}
