// Ensure that start_options::timeout gives up on an init that has not returned in time, as
// OTP's `{timeout, Time}` start option does: the start fails with `timeout` and the
// half-started server is killed (no terminate), with whatever its init had started.

#include "sup_fixtures.hpp"

#include <doctest/doctest.h>

#include <otp/gen_server.hpp>
#include <otp/process.hpp>
#include <otp/supervisor.hpp>
#include <otp/test/kit.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using otp::exit_reason;
using sup_fixtures::journal;
using sup_fixtures::new_journal;
namespace gen_server = otp::gen_server;
namespace supervisor = otp::supervisor;

namespace {

struct ping {};
struct start_slow {
  otp::timeout init_takes;
  otp::timeout limit;
};

/// Never answers a call.
struct silent {
  otp::call_result<int> handle_call(const ping&) { return otp::noreply(); }
};

/// Its init waits `takes` in a sleep; journals its life.
struct sleepy {
  journal j;
  void init(journal out, otp::timeout takes) {
    j = std::move(out);
    j->push_back("init");
    otp::sleep(takes);
    j->push_back("init done");
  }
  int handle_call(const ping&) { return 1; }
  void terminate(const exit_reason& r) { j->push_back(fmt::format("terminate {}", r)); }
  ~sleepy() {
    if (j)
      j->push_back("destroyed");
  }
};

/// Its init calls a server that never answers, and shrugs off every failed call: only the
/// start timeout can end it.
struct stubborn_caller {
  void init(otp::server_ref<silent> to) {
    for (;;)
      (void)gen_server::try_call(to, ping{}, 10s);
  }
};

/// Its init starts a `sleepy` with a generous timeout of its own.
struct nests {
  void init(journal j, otp::timeout inner_limit) {
    auto r = gen_server::start<sleepy>(otp::start_options{.timeout = inner_limit}, j, 5s);
    j->push_back(r ? "inner started" : fmt::format("inner failed: {}", r.error()));
  }
};

/// Starts a `sleepy` from its callback and answers with how that went.
struct starter {
  journal j;
  explicit starter(journal out) : j(std::move(out)) {}
  std::string handle_call(const start_slow& s) {
    auto r = gen_server::start<sleepy>(otp::start_options{.timeout = s.limit}, j, s.init_takes);
    return r ? "started" : std::string{to_string(r.error().what_kind())};
  }
  int handle_call(const ping&) { return 7; }
};

/// Its init computes for `busy` of real time without ever waiting.
struct busy_init {
  void init(std::chrono::milliseconds busy) {
    auto until = std::chrono::steady_clock::now() + busy;
    while (std::chrono::steady_clock::now() < until) {
    }
  }
};

}  // namespace

TEST_CASE("start timeout: an init that sleeps past it fails the start, killed without terminate") {
  otp::test::kit kit;
  auto j = new_journal();
  auto t0 = kit.now();
  auto r = gen_server::start<sleepy>(kit.node(),
                                     otp::start_options{.name = "slow", .timeout = 100ms}, j, 5s);
  REQUIRE_FALSE(r);
  CHECK(r.error().what_kind() == otp::start_error::kind::timeout);
  CHECK(r.error().reason() == exit_reason::timeout());
  CHECK(fmt::format("{}", r.error()) == "start failed: timeout (init did not return in time)");
  CHECK(kit.now() - t0 == 100ms);  // at the deadline, not when init would have returned
  // Init was unwound (its state destroyed), terminate never ran, the name is free again.
  CHECK(*j == std::vector<std::string>{"init", "destroyed"});
  CHECK_FALSE(kit.node().whereis("slow").has_value());
  CHECK(kit.node().process_count() == 0);
}

TEST_CASE("start timeout: an init that returns in time starts, and later waits are not bounded") {
  otp::test::kit kit;
  auto j = new_journal();
  auto s = gen_server::start<sleepy>(kit.node(), otp::start_options{.timeout = 100ms}, j, 99ms);
  REQUIRE(s);
  CHECK(gen_server::call(*s, ping{}) == 1);
  CHECK(*j == std::vector<std::string>{"init", "init done"});
  // Without a timeout, init may take as long as it likes.
  auto slow = gen_server::start<sleepy>(kit.node(), j, 1h);
  CHECK(slow);
}

TEST_CASE("start timeout: a call failing inside init cannot hide it from the start") {
  otp::test::kit kit;
  auto mute = gen_server::start<silent>(kit.node()).value();
  auto t0 = kit.now();
  auto r = gen_server::start<stubborn_caller>(kit.node(), otp::start_options{.timeout = 3s}, mute);
  REQUIRE_FALSE(r);
  CHECK(r.error().what_kind() == otp::start_error::kind::timeout);
  CHECK(kit.now() - t0 == 3s);
  CHECK(kit.node().process_count() == 1);  // only the silent server is left
}

TEST_CASE("start timeout: an enclosing start's deadline bounds the starts its init makes") {
  otp::test::kit kit;
  auto j = new_journal();
  auto t0 = kit.now();
  auto r = gen_server::start<nests>(kit.node(), otp::start_options{.timeout = 200ms}, j, 10s);
  REQUIRE_FALSE(r);
  CHECK(r.error().what_kind() == otp::start_error::kind::timeout);
  CHECK(kit.now() - t0 == 200ms);
  // The inner start did not report a failure of its own: the outer one gave up for both.
  CHECK(*j == std::vector<std::string>{"init", "destroyed"});
  CHECK(kit.node().process_count() == 0);

  // The nearer deadline wins: an inner start with a shorter timeout fails on its own.
  auto j2 = new_journal();
  auto ok = gen_server::start<nests>(kit.node(), otp::start_options{.timeout = 10s}, j2, 50ms);
  REQUIRE(ok);
  CHECK(j2->back() == "inner failed: start failed: timeout (init did not return in time)");
}

TEST_CASE("start timeout: a process that starts a slow server waits for it, its thread does not") {
  otp::test::kit kit;
  auto j = new_journal();
  auto s = gen_server::start<starter>(kit.node(), j).value();
  CHECK(gen_server::call(s, start_slow{.init_takes = 5s, .limit = 1s}, 10s) == "timeout");
  CHECK(gen_server::call(s, start_slow{.init_takes = 10ms, .limit = 1s}) == "started");
  CHECK(gen_server::call(s, ping{}) == 7);  // the starter goes on, its own calls unbounded
}

TEST_CASE("start timeout: an init that computes past its deadline fails when it returns") {
  otp::node node{otp::node_options{.threads = 1}};
  auto r = gen_server::start<busy_init>(node, otp::start_options{.timeout = 20ms}, 100ms);
  REQUIRE_FALSE(r);
  CHECK(r.error().what_kind() == otp::start_error::kind::timeout);
  CHECK(node.process_count() == 0);
}

TEST_CASE("start timeout: a supervisor that outlasts it kills the children it had started") {
  otp::test::kit kit;
  auto j = new_journal();
  auto t0 = kit.now();
  auto sup =
    supervisor::start_link(kit.node(), otp::start_options{.timeout = 1s}, {},
                           {sup_fixtures::worker_spec("a", j),
                            {.id = "b", .start = otp::start_with<sleepy>(j, otp::timeout{5s})},
                            sup_fixtures::worker_spec("c", j)});
  REQUIRE_FALSE(sup);
  CHECK(sup.error().what_kind() == otp::start_error::kind::timeout);
  CHECK(kit.now() - t0 == 1s);
  kit.run();
  // a got its supervisor's exit signal (killed) and, trapping exits, terminated with it; b's
  // init was unwound; c never started.
  CHECK(*j == std::vector<std::string>{"start a", "init", "destroyed", "stop a killed"});
  CHECK(kit.node().process_count() == 0);
}
