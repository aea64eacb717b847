// Processes that wait: call chains and blocked callers, the shapes Erlang services take.
//
//   chain_bench chain [N clients] [K chains each] [R reps] [--threads T]
//   chain_bench blocked [N processes] [--threads T]
//   chain_bench blocked_spawned [N processes] [--threads T]
//
// chain: N client processes each make K sequential calls to A; A's handle_call calls B, B's
// calls C. Every call inside a callback parks its process and frees the thread. Prints whole
// chains (client -> A -> B -> C and back) per second, median of R runs, as
// `RESULT chain_<N>_per_s <value> chains/s`.
// blocked: N processes each blocked in a call to one server that answers nobody until told;
// prints the growth of the resident set per blocked process (`RESULT blocked_<N>_...`). The
// callers are gen_servers blocked in a handle_cast; `blocked_spawned` makes them plain processes
// (`otp::spawn`) instead, the shape of the Erlang version (`spawn(fun() -> gen_server:call(...))`).
// bench/run_chain.sh runs both beside the Erlang versions (bench/erlang/chain_bench.erl).

#include <otp/gen_server.hpp>
#include <otp/node.hpp>
#include <otp/spawn.hpp>

#include <malloc.h>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace gen_server = otp::gen_server;

namespace {

struct step {
  int x;
};

/// A link of the chain: calls the next one, or answers if it is the last.
struct link_server {
  std::optional<otp::server_ref<link_server>> next;
  int handle_call(const step& s) {
    return next ? gen_server::call(*next, s, otp::infinity) : s.x + 1;
  }
};

struct run_chains {
  int k;
};

/// Makes `k` chains when told, then counts itself done.
struct chain_client {
  otp::server_ref<link_server> head;
  std::shared_ptr<std::atomic<int>> done;
  void handle_cast(const run_chains& r) {
    for (int i = 0; i < r.k; ++i)
      if (gen_server::call(head, step{0}, otp::infinity) != 1)
        std::abort();
    ++*done;
  }
};

struct wait_here {};
struct release {};
struct count {};

/// Answers nobody until released.
struct slow_server {
  std::vector<otp::from<int>> waiting;
  otp::call_result<int> handle_call(const wait_here&, otp::from<int> caller) {
    waiting.push_back(std::move(caller));
    return otp::noreply();
  }
  std::size_t handle_call(const count&) { return waiting.size(); }
  bool handle_call(const release&) {
    for (auto& w : waiting)
      w.reply(42);
    waiting.clear();
    return true;
  }
};

struct block {};

struct blocked_caller {
  otp::server_ref<slow_server> server;
  std::shared_ptr<std::atomic<int>> done;
  void handle_cast(const block&) {
    if (gen_server::call(server, wait_here{}, otp::infinity) == 42)
      ++*done;
  }
};

long rss_bytes() {
  std::ifstream in{"/proc/self/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stol(line.substr(6)) * 1024;
  return -1;
}

void wait_until(const std::atomic<int>& v, int target) {
  while (v.load() < target)
    std::this_thread::sleep_for(1ms);
}

double chains_per_s(otp::node& node, otp::server_ref<link_server> head, int n, int k) {
  auto done = std::make_shared<std::atomic<int>>(0);
  std::vector<otp::server_ref<chain_client>> clients;
  for (int i = 0; i < n; ++i)
    clients.push_back(gen_server::start<chain_client>(node, head, done).value());
  auto t0 = std::chrono::steady_clock::now();
  for (auto& c : clients)
    gen_server::cast(c, run_chains{k});
  wait_until(*done, n);
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - t0;
  for (auto& c : clients)
    (void)gen_server::stop(c);
  return static_cast<double>(n) * k / took.count();
}

int chain(otp::node& node, int n, int k, int reps) {
  std::printf("chains: N = %d clients, K = %d each, R = %d\n", n, k, reps);
  auto c = gen_server::start<link_server>(node).value();
  auto b = gen_server::start<link_server>(node, link_server{c}).value();
  auto a = gen_server::start<link_server>(node, link_server{b}).value();
  (void)chains_per_s(node, a, std::min(n, 100), 100);  // warm up
  std::vector<double> rates;
  for (int r = 0; r < reps; ++r) {
    rates.push_back(chains_per_s(node, a, n, k));
    std::printf("  run %d: %.0f chains/s\n", r + 1, rates.back());
  }
  std::sort(rates.begin(), rates.end());
  std::printf("RESULT chain_%d_per_s %.0f chains/s\n", n, rates[rates.size() / 2]);
  return 0;
}

int blocked(otp::node& node, int n, bool spawned) {
  std::printf("blocked: N = %d %s waiting in a call\n", n,
              spawned ? "spawned processes" : "gen_servers");
  auto server = gen_server::start<slow_server>(node).value();
  auto done = std::make_shared<std::atomic<int>>(0);
  auto before = rss_bytes();
  auto heap_before = mallinfo2().uordblks;
  std::vector<otp::server_ref<blocked_caller>> callers;
  callers.reserve(spawned ? 0 : static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    if (spawned) {
      otp::spawn(node, [server, done] {
        if (gen_server::call(server, wait_here{}, otp::infinity) == 42)
          ++*done;
      });
      continue;
    }
    callers.push_back(gen_server::start<blocked_caller>(node, server, done).value());
    gen_server::cast(callers.back(), block{});
  }
  while (gen_server::call(server, count{}) < static_cast<std::size_t>(n))
    std::this_thread::sleep_for(10ms);
  auto after = rss_bytes();
  auto heap_after = mallinfo2().uordblks;
  const char* shape = spawned ? "spawned_" : "";
  std::printf("RESULT blocked_%s%d_bytes_per_process %.0f B\n", shape, n,
              static_cast<double>(after - before) / n);
  // What malloc handed out (no pages, no free lists): the part the library's objects own.
  std::printf("RESULT blocked_%s%d_heap_bytes_per_process %.0f B\n", shape, n,
              static_cast<double>(heap_after - heap_before) / n);
  (void)gen_server::call(server, release{});
  wait_until(*done, n);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::size_t threads = 2;
  if (auto t = std::find(args.begin(), args.end(), "--threads");
      t != args.end() && t + 1 != args.end()) {
    threads = std::stoul(*(t + 1));
    args.erase(t, t + 2);
  }
  auto arg = [&](std::size_t i, int fallback) {
    return args.size() > i ? std::stoi(args[i]) : fallback;
  };
  otp::node node{otp::node_options{.threads = threads, .log = otp::log_level::error}};
  if (!args.empty() && args[0] == "chain")
    return chain(node, arg(1, 100), arg(2, 1000), arg(3, 5));
  if (!args.empty() && args[0] == "blocked")
    return blocked(node, arg(1, 20000), false);
  if (!args.empty() && args[0] == "blocked_spawned")
    return blocked(node, arg(1, 20000), true);
  std::fprintf(stderr,
               "usage: chain_bench chain [N] [K] [R] [--threads T] | blocked[_spawned] [N] "
               "[--threads T]\n");
  return 2;
}
