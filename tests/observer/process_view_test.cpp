// Ensure that the process list and /api/process/<pid> tell what Erlang's observer does of a
// process: its kind (gen_server, supervisor, plain, acceptor, connection), its state (waiting,
// running, suspended), an estimate of its memory, and its links and monitors as CAF keeps them.

#include "eventually.hpp"
#include "http_client.hpp"
#include "servers.hpp"

#include <otp/net/listener.hpp>
#include <otp/observer.hpp>
#include <otp/process.hpp>
#include <otp/receive.hpp>
#include <otp/spawn.hpp>
#include <otp/supervisor.hpp>
#include <otp/sys.hpp>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <thread>

using namespace observer_test;
namespace observer = otp::observer;
namespace gen_server = otp::gen_server;
using namespace std::chrono_literals;

namespace {

struct spin {};
struct go {};

/// Spins in a cast until released: a process that runs.
struct spinner {
  std::atomic<bool>* release;
  void handle_cast(const spin&) {
    while (!release->load())
      std::this_thread::yield();
  }
};

/// A server with a 64 KiB state.
struct big {
  std::array<char, 65536> bytes{};
  int handle_call(const ping&) { return 1; }
};

/// Calls `target` from a cast: parked in the wait while the target is suspended.
struct caller {
  otp::server_ref<pinger> target;
  void handle_cast(const go&) { (void)gen_server::try_call(target, ping{}, 10s); }
};

/// Echoes nothing: a connection handler that only holds its socket.
struct holder {
  otp::net::socket sock;
  explicit holder(otp::net::socket s) : sock(std::move(s)) {}
};

std::optional<observer::process_row> row(otp::node& n, const otp::pid& p) {
  return observer::find_row(n, p.id());
}

bool has_kind(otp::node& n, std::string_view kind) {
  auto page = observer::list_processes(n, {.limit = 1000});
  return std::any_of(page.rows.begin(), page.rows.end(),
                     [&](const auto& r) { return r.kind == kind; });
}

int connect_to(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

std::string pid_text(const otp::pid& p) {
  return fmt::format("\"<0.{}.0>\"", p.id());
}

}  // namespace

TEST_CASE("kinds: gen_server, supervisor, plain, acceptor and connection") {
  otp::node node{{.threads = 2}};
  auto s = gen_server::start<pinger>(node).value();
  auto sup = otp::supervisor::start_link(node, {}, {}, {}).value();
  auto plain = otp::spawn(node, [] { otp::receive<go>(); });
  CHECK(test_util::eventually([&] { return row(node, s)->kind == "gen_server"; }));
  CHECK(row(node, sup)->kind == "supervisor");
  CHECK(row(node, plain)->kind == "plain");
  CHECK(row(node, s)->module == "observer_test::pinger");
  auto listener = otp::net::start_listener<holder>(
                    node, {.address = otp::net::endpoint::tcp("127.0.0.1", 0), .num_acceptors = 2})
                    .value();
  CHECK(test_util::eventually([&] { return has_kind(node, "acceptor"); }));
  CHECK_FALSE(has_kind(node, "connection"));
  int fd = connect_to(listener.port());
  CHECK(test_util::eventually([&] { return has_kind(node, "connection"); }));
  ::close(fd);
  otp::send(plain, go{});
}

TEST_CASE("states: waiting when idle, running in a callback, suspended by sys::suspend") {
  otp::node node{{.threads = 2}};
  std::atomic<bool> release{false};
  auto s = gen_server::start<spinner>(node, spinner{&release}).value();
  CHECK(test_util::eventually([&] { return row(node, s)->state == "waiting"; }));
  CHECK(row(node, s)->mailbox == 0);  // nothing queued: known even for an unbounded mailbox
  gen_server::cast(s, spin{});
  CHECK(test_util::eventually([&] { return row(node, s)->state == "running"; }));
  release = true;
  CHECK(test_util::eventually([&] { return row(node, s)->state == "waiting"; }));
  REQUIRE(otp::sys::suspend(s));
  CHECK(row(node, s)->state == "suspended");
  REQUIRE(otp::sys::resume(s));
  CHECK(test_util::eventually([&] { return row(node, s)->state == "waiting"; }));
}

TEST_CASE("memory counts the server's state and a parked wait's frames") {
  otp::node node{{.threads = 2}};
  auto small = gen_server::start<pinger>(node).value();
  auto large = gen_server::start<big>(node).value();
  auto small_bytes = row(node, small)->memory;
  CHECK(small_bytes > 0);
  CHECK(small_bytes < 65536);
  CHECK(row(node, large)->memory >= small_bytes + 65000);  // its 64 KiB state
  auto sorted = observer::list_processes(
    node, {.limit = 1, .sort = observer::sort_key::memory, .descending = true});
  REQUIRE(sorted.rows.size() == 1);
  CHECK(sorted.rows[0].pid == large.id());
  CHECK(sorted.total == 2);

  auto target = gen_server::start<pinger>(node).value();
  auto c = gen_server::start<caller>(node, caller{target}).value();
  auto idle_bytes = row(node, c)->memory;
  REQUIRE(otp::sys::suspend(target));
  gen_server::cast(c, go{});
  CHECK(test_util::eventually([&] { return row(node, c)->memory > idle_bytes; }));
  CHECK(row(node, c)->state == "waiting");
  REQUIRE(otp::sys::resume(target));
  CHECK(test_util::eventually([&] { return row(node, c)->memory == idle_bytes; }));
}

TEST_CASE("/api/process/<pid> shows links, monitors and monitored_by as CAF keeps them") {
  otp::node node{{.threads = 2}};
  auto a = gen_server::start<pinger>(node).value();
  auto b = gen_server::start<pinger>(node).value();
  std::atomic<bool> ready{false};
  auto p = otp::spawn(node, [&] {
    otp::link(a);
    otp::monitor(b);
    ready = true;
    otp::receive<go>();
  });
  REQUIRE(test_util::eventually([&] { return ready.load(); }));
  auto obs = observer::start(node).value();
  auto of_p = get(obs.port(), fmt::format("/api/process/{}", p.id())).body;
  CHECK(of_p.find(fmt::format("\"links\": [{}]", pid_text(a))) != std::string::npos);
  CHECK(of_p.find(fmt::format("\"monitors\": [{}]", pid_text(b))) != std::string::npos);
  CHECK(of_p.find("\"kind\": \"plain\"") != std::string::npos);
  auto of_a = get(obs.port(), fmt::format("/api/process/{}", a.id())).body;
  CHECK(of_a.find(fmt::format("\"links\": [{}]", pid_text(p))) != std::string::npos);
  CHECK(of_a.find("\"process_state\": \"waiting\"") != std::string::npos);
  CHECK(of_a.find("\"memory\": ") != std::string::npos);
  auto of_b = get(obs.port(), fmt::format("/api/process/{}", b.id())).body;
  CHECK(of_b.find(fmt::format("\"monitored_by\": [{}]", pid_text(p))) != std::string::npos);
  CHECK(of_b.find("\"links\": []") != std::string::npos);
  otp::send(p, go{});
}
