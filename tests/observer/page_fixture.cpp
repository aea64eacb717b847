// The node that observer/tests/page_test.js drives in a browser: a small application tree,
// `--processes N` idle gen_servers, 20 suspended servers with bounded mailboxes holding 10,
// 20, ... 200 messages (so that sorting by mailbox length has an answer to check), and an echo
// listener ("echo", at most 8 connections) with two clients connected and one without a
// limit ("open", no clients) (the Node view's listeners). Two observers on it: actions on,
// and actions off. It prints one JSON line with their URLs and
// the process with the longest mailbox, then runs until its standard input closes (at most
// 10 minutes).

#include "../../examples/echo_server/echo.hpp"
#include "../../examples/echo_server/echo_client.hpp"
#include "servers.hpp"

#include <otp/net/listener.hpp>
#include <otp/observer.hpp>
#include <otp/supervision_tree.hpp>
#include <otp/supervisor.hpp>
#include <otp/sys.hpp>

#include <fmt/format.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <unistd.h>

using namespace observer_test;
using namespace std::chrono_literals;

namespace {

struct note {};

/// A server whose mailbox the test fills while it is suspended.
struct queue {
  void handle_cast(const note&) {}
};

otp::child_spec worker(std::string id) {
  return {.id = std::move(id), .start = otp::start_with<pinger>()};
}

otp::child_spec group(std::string id, otp::sup_flags flags, std::vector<otp::child_spec> kids) {
  return {.id = std::move(id),
          .start = otp::supervisor::start_with(flags, std::move(kids)),
          .type = otp::child_type::supervisor};
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t processes = 0;
  if (argc == 3 && std::string_view{argv[1]} == "--processes")
    processes = std::strtoul(argv[2], nullptr, 10);
  otp::node node{{.threads = 2}};
  node.logger().set_sink([](const otp::log_event&) {});
  auto app = otp::supervisor::start_link(
               node, otp::start_options{.name = "app"}, {.intensity = 100, .period = 60s},
               {group("store", {.strategy = otp::strategy::one_for_all, .intensity = 100},
                      {worker("cache"), worker("index")}),
                group("web", {.strategy = otp::strategy::rest_for_one, .intensity = 100},
                      {worker("http"), worker("api"), worker("sessions")}),
                group("jobs", {.strategy = otp::strategy::simple_one_for_one},
                      {{.id = "job", .start = otp::start_with<pinger>()}})})
               .value();
  auto tree = otp::supervision_tree(app, "app").value();
  auto jobs = otp::sup_ref{tree.children.back().pid};
  for (int i = 0; i < 2; ++i)
    otp::supervisor::start_child(jobs).value();
  std::vector<otp::server_ref<pinger>> idle;
  idle.reserve(processes);
  for (std::size_t i = 0; i < processes; ++i)
    idle.push_back(otp::gen_server::start<pinger>(node).value());
  otp::server_ref<queue> busiest;
  for (int i = 1; i <= 20; ++i) {
    otp::start_options bounded{.mailbox = {.max = 1000}};
    if (i == 20)
      bounded.name = "busiest";
    auto q = otp::gen_server::start<queue>(node, bounded).value();
    otp::sys::suspend(q).value();
    for (int m = 0; m < i * 10; ++m)
      otp::gen_server::cast(q, note{});
    busiest = q;
  }
  auto echo_listener =
    otp::net::start_listener<echo>(node, {.address = otp::net::endpoint::tcp("127.0.0.1", 0),
                                          .num_acceptors = 4,
                                          .max_connections = 8,
                                          .name = "echo"})
      .value();
  auto open_listener =
    otp::net::start_listener<echo>(node, {.address = otp::net::endpoint::tcp("127.0.0.1", 0),
                                          .num_acceptors = 1,
                                          .max_connections = otp::net::unlimited,
                                          .name = "open"})
      .value();
  std::vector<int> clients;
  for (int i = 0; i < 2; ++i)
    if (int fd = echo_round_trip(echo_listener.port(), "x"); fd >= 0)
      clients.push_back(fd);  // served: its connection's process echoed
  auto with_actions = otp::observer::start(node, {.actions = true}).value();
  auto without = otp::observer::start(node).value();
  fmt::print(
    "{{\"url\": \"{}\", \"url_no_actions\": \"{}\", \"busiest\": \"{}\", \"busiest_mailbox\": "
    "200, \"processes\": {}}}\n",
    with_actions.url(), without.url(), busiest, node.process_count());
  std::fflush(stdout);
  // Until the test closes our standard input (or it died and nobody will).
  std::thread{[] {
    std::this_thread::sleep_for(10min);
    std::_Exit(3);
  }}.detach();
  for (std::string line; std::getline(std::cin, line);) {
  }
  for (int fd : clients)
    ::close(fd);
  return 0;
}
