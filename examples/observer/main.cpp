// The observer on a small application tree: starts the tree and the observer, prints the URL,
// then crashes a worker every few seconds so that restarts show up in /metrics and
// /api/trees. Without arguments it does one crash and exits (the smoke test); with
// `--serve SECONDS` it keeps serving that long (try `curl URL/metrics`).

#include <otp/gen_server.hpp>
#include <otp/observer.hpp>
#include <otp/supervision_tree.hpp>
#include <otp/supervisor.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <string_view>
#include <thread>

namespace {

struct ping {};
struct crash {};

/// A worker: answers pings, crashes on request.
struct worker {
  int pings = 0;
  int handle_call(const ping&) { return ++pings; }
  void handle_cast(const crash&) { throw std::runtime_error("injected fault"); }
};

otp::child_spec worker_spec(std::string id) {
  return {.id = std::move(id), .start = otp::start_with<worker>()};
}

/// app (one_for_one): store (one_for_all: cache, index), web (one_for_one: http, api).
otp::sup_ref start_app(otp::node& node) {
  using namespace std::chrono_literals;
  auto store = otp::supervisor::start_with({.strategy = otp::strategy::one_for_all},
                                           {worker_spec("cache"), worker_spec("index")});
  auto web = otp::supervisor::start_with({}, {worker_spec("http"), worker_spec("api")});
  return otp::supervisor::start_link(
           node, otp::start_options{.name = "app"}, {.intensity = 10, .period = 60s},
           {{.id = "store", .start = store, .type = otp::child_type::supervisor},
            {.id = "web", .start = web, .type = otp::child_type::supervisor}})
    .value();
}

/// Crashes the first worker of the `which`-th subtree.
void inject_fault(const otp::sup_ref& app, std::size_t which) {
  auto tree = otp::supervision_tree(app, "app").value();
  const auto& sub = tree.children[which % tree.children.size()];
  fmt::print("crashing {} under {}\n", sub.children.front().pid, sub.id);
  otp::gen_server::cast(otp::server_ref<worker>{sub.children.front().pid}, crash{});
}

}  // namespace

int main(int argc, char** argv) {
  int serve = argc == 3 && std::string_view{argv[1]} == "--serve" ? std::atoi(argv[2]) : 0;
  otp::node node;
  // Quiet crash reports; the observer still counts them (its tap sees what the sink sees).
  node.logger().set_sink([](const otp::log_event&) {});
  auto app = start_app(node);
  auto observer = otp::observer::start(node, {.port = 0}).value();  // 127.0.0.1, a free port
  fmt::print("observer at {}\n", observer.url());                   // stops when destroyed
  auto steps = std::max(1, serve / 3);
  for (int i = 0; i < steps; ++i) {
    inject_fault(app, static_cast<std::size_t>(i));
    std::this_thread::sleep_for(std::chrono::seconds{serve > 0 ? 3 : 0}
                                + std::chrono::milliseconds{100});
  }
  fmt::print("{}", otp::supervision_tree(app, "app").value());
  auto page = otp::observer::list_processes(node, {.limit = 3});
  fmt::print("{} processes; the first: ", page.total);
  for (const auto& p : page.rows)
    fmt::print("<0.{}.0> {} ", p.pid, p.kind);
  fmt::print("\n");
}

// Sample output (pids vary):
//   observer at http://127.0.0.1:40123/
//   crashing <0.6.0> under store
//   app          supervisor  <0.4.0>                          one_for_one 10/60s  running
//   ├─ store     supervisor  <0.5.0>   permanent  0 restarts  one_for_all 1/5s   running
//   │  ├─ cache  worker      <0.10.0>  permanent  1 restart                      running
//   │  └─ index  worker      <0.11.0>  permanent  1 restart                      running
//   └─ web       supervisor  <0.8.0>   permanent  0 restarts  one_for_one 1/5s   running
//      ├─ http   worker      <0.9.0>   permanent  0 restarts                     running
//      └─ api    worker      <0.10.0>  permanent  0 restarts                     running
//   7 processes; the first: <0.4.0> supervisor <0.5.0> supervisor <0.6.0> gen_server
