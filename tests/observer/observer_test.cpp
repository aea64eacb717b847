// Ensure that the observer's JSON API pages through a node's processes quickly at 100,000
// processes, and that it refuses what it must: requests without the token, cross-origin
// requests, actions while they are off, malformed HTTP (400, and the server stays up).

#include "eventually.hpp"
#include "http_client.hpp"
#include "servers.hpp"

#include <otp/observer.hpp>
#include <otp/supervisor.hpp>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <chrono>

using namespace observer_test;
namespace observer = otp::observer;
namespace gen_server = otp::gen_server;

namespace {

std::size_t count(const std::string& text, std::string_view what) {
  std::size_t n = 0;
  for (auto i = text.find(what); i != std::string::npos; i = text.find(what, i + 1))
    ++n;
  return n;
}

double millis_of(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

TEST_CASE("/api/processes pages through 100,000 processes in bounded time") {
  constexpr std::size_t n = 100'000;
  otp::node node{{.threads = 2}};
  std::vector<otp::server_ref<pinger>> servers;
  servers.reserve(n);
  for (std::size_t i = 0; i < n; ++i)
    servers.push_back(gen_server::start<pinger>(node).value());
  for (int i = 0; i < 3; ++i)
    gen_server::call(servers[77], ping{});
  auto obs = observer::start(node).value();
  auto timed = [&](std::string_view target) {
    auto t0 = std::chrono::steady_clock::now();
    auto r = get(obs.port(), target);
    auto ms = millis_of(std::chrono::steady_clock::now() - t0);
    MESSAGE(fmt::format("{}: {:.1f} ms, {} bytes", target, ms, r.body.size()));
    CHECK(ms < 2000);
    return r;
  };
  auto by_pid = timed("/api/processes?offset=50000&limit=100");
  REQUIRE(by_pid.status == 200);
  CHECK(by_pid.body.find(fmt::format("\"total\": {}", n)) != std::string::npos);
  CHECK(count(by_pid.body, "\"pid\":") == 100);
  CHECK(by_pid.body.find(fmt::format("\"<0.{}.0>\"", servers[50000].id())) != std::string::npos);
  auto in_start_order = timed("/api/processes?offset=50000&limit=100&sort=start");
  CHECK(count(in_start_order.body, "\"pid\":") == 100);
  auto first = timed("/api/processes?limit=10");
  CHECK(first.body.find(fmt::format("\"<0.{}.0>\"", servers[0].id())) != std::string::npos);
  auto busiest = timed("/api/processes?limit=1&sort=-handled");
  CHECK(busiest.body.find(fmt::format("\"<0.{}.0>\"", servers[77].id())) != std::string::npos);
  CHECK(busiest.body.find("\"handled\": 3") != std::string::npos);
  auto last = timed("/api/processes?offset=99990&limit=100&sort=-pid");
  CHECK(count(last.body, "\"pid\":") == 10);
  CHECK(last.body.find(fmt::format("\"<0.{}.0>\"", servers[0].id())) != std::string::npos);
  auto one = timed(fmt::format("/api/process/<0.{}.0>", servers[77].id()));
  CHECK(one.status == 200);
  CHECK(one.body.find("\"calls\": 3") != std::string::npos);
  CHECK(timed("/api/node").body.find(fmt::format("\"processes\": {}", n)) != std::string::npos);
}

TEST_CASE("the list reads a process's counters and kind without asking it") {
  otp::node node{{.threads = 2}};
  auto s = gen_server::start<pinger>(node, otp::start_options{.name = "p"}).value();
  gen_server::call(s, ping{});
  // Waiting once the turn that answered is over (the reply may come a moment before).
  CHECK(
    test_util::eventually([&] { return observer::find_row(node, s.id())->state == "waiting"; }));
  auto row = observer::find_row(node, s.id());
  REQUIRE(row);
  CHECK(row->name == "p");
  CHECK(row->kind == "gen_server");
  CHECK(row->handled == 1);
  CHECK(row->mailbox == 0);
  CHECK_FALSE(observer::find_row(node, s.id() + 1000));
}

TEST_CASE("pages are in pid order, though a supervisor's init returns after its children's") {
  otp::node node{{.threads = 2}};
  auto top = otp::supervisor::start_link(node, {},
                                         {{.id = "a", .start = otp::start_with<pinger>()},
                                          {.id = "b", .start = otp::start_with<pinger>()}})
               .value();
  auto page = observer::list_processes(node, {.limit = 10});
  REQUIRE(page.rows.size() == 3);
  CHECK(page.rows[0].pid == top.id());
  CHECK(page.rows[0].kind == "supervisor");
  CHECK(page.rows[0].pid < page.rows[1].pid);
  CHECK(page.rows[1].pid < page.rows[2].pid);
  auto started = observer::list_processes(node, {.limit = 10, .sort = observer::sort_key::start});
  REQUIRE(started.rows.size() == 3);
  CHECK(started.rows[2].pid == top.id());
  auto second = observer::list_processes(node, {.offset = 1, .limit = 1});
  REQUIRE(second.rows.size() == 1);
  CHECK(second.rows[0].pid == page.rows[1].pid);
  CHECK(second.total == 3);
}

TEST_CASE("a token is required when set, and to bind beyond loopback") {
  otp::node node{{.threads = 1}};
  CHECK_FALSE(observer::start(node, {.bind = "0.0.0.0"}));
  CHECK_FALSE(observer::start(node, {.bind = "not an address"}));
  auto obs = observer::start(node, {.token = "s3cret"}).value();
  CHECK(get(obs.port(), "/api/node").status == 403);
  CHECK(get(obs.port(), "/api/node", "Authorization: Bearer wrong\r\n").status == 403);
  CHECK(get(obs.port(), "/api/node", "Authorization: Bearer s3cret\r\n").status == 200);
  CHECK(get(obs.port(), "/api/node?token=s3cret").status == 200);
  CHECK(get(obs.port(), "/metrics?token=s3cre").status == 403);
}

TEST_CASE("cross-origin requests, foreign hosts and actions while off are refused") {
  otp::node node{{.threads = 1}};
  auto obs = observer::start(node).value();
  auto port = obs.port();
  auto self = fmt::format("Origin: http://127.0.0.1:{}\r\n", port);
  CHECK(get(port, "/api/node", self).status == 200);
  CHECK(get(port, "/api/node", "Origin: http://evil.example\r\n").status == 403);
  CHECK(get(port, "/api/node", "Sec-Fetch-Site: cross-site\r\n").status == 403);
  auto rebound = fmt::format("GET /api/node HTTP/1.1\r\nHost: evil.example:{}\r\n\r\n", port);
  CHECK(send_raw(port, rebound).status == 403);
  auto post = fmt::format(
    "POST /api/process/1/kill HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\n\r\n", port);
  CHECK(send_raw(port, post).status == 403);
  CHECK(get(port, "/nowhere").status == 404);
  CHECK(get(port, "/api/processes?limit=x").status == 400);
  CHECK(get(port, "/api/process/zz").status == 400);
}

TEST_CASE("malformed HTTP gets 400 and the server stays up") {
  otp::node node{{.threads = 1}};
  auto obs = observer::start(node).value();
  auto port = obs.port();
  CHECK(send_raw(port, "GARBAGE\r\n\r\n").status == 400);
  CHECK(send_raw(port, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: zz\r\n\r\n").status
        == 400);
  CHECK(send_raw(port, "GET / HTTP/1.1\r\n" + std::string(20000, 'x') + "\r\n\r\n").status == 400);
  CHECK(send_raw(port, "").status == 0);  // a client that says nothing and leaves
  CHECK(get(port, "/api/node").status == 200);
  obs.stop();
  obs.stop();
}
