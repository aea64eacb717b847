// Plain processes: spawn / spawn_link / spawn_monitor with a function, and Erlang's selective
// receive (types, guards, after) — in virtual time under the test kit, and on real threads.

#include "eventually.hpp"

#include <doctest/doctest.h>

#include <otp/gen_server.hpp>
#include <otp/node.hpp>
#include <otp/process.hpp>
#include <otp/test/kit.hpp>

#include <fmt/format.h>

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace gen_server = otp::gen_server;

namespace {

struct ping {
  otp::pid from;
};
struct pong {
  otp::pid from;
};
struct a_msg {
  int n;
};
struct b_msg {
  int n;
};
struct seen {
  std::string what;
};
struct go {};

/// What a call to a plain process pretends it is.
struct answers_go {
  int handle_call(const go&) { return 0; }
};

/// Runs its destructor when the process's stack is unwound.
struct witness {
  std::shared_ptr<std::atomic<int>> destroyed;
  ~witness() { ++*destroyed; }
};

}  // namespace

TEST_CASE("plain process: ping and pong, as five lines of Erlang") {
  otp::test::kit kit;
  auto probe = kit.make_probe();
  auto echo = otp::spawn(kit.node(), [] {
    for (;;)
      otp::receive([](const ping& p) { otp::send(p.from, pong{otp::self()}); });
  });
  otp::send(echo, ping{probe.pid()});
  CHECK(probe.expect<pong>().from == echo);
  otp::send(echo, ping{probe.pid()});
  CHECK(probe.expect<pong>().from == echo);
  CHECK(kit.alive(echo));
}

TEST_CASE(
  "plain process: send takes a value as it is passed: copied, moved, a literal as a "
  "pointer") {
  // Ensure that otp::send boxes what it is given as `Dest ! Msg` would: an lvalue is copied (the
  // sender keeps it), an rvalue is moved (move-only values travel), an array decays.
  otp::test::kit kit;
  auto probe = kit.make_probe();
  auto p = otp::spawn(kit.node(), [to = probe.pid()] {
    otp::send(to, seen{otp::receive<std::string>()});
    otp::send(to, seen{std::to_string(*otp::receive<std::unique_ptr<int>>())});
    otp::send(to, seen{otp::receive<const char*>()});
  });
  std::string kept = "copied";
  otp::send(p, kept);
  otp::send(p, std::make_unique<int>(42));
  otp::send(p, "a literal");
  CHECK(kept == "copied");
  CHECK(probe.expect<seen>().what == "copied");
  CHECK(probe.expect<seen>().what == "42");
  CHECK(probe.expect<seen>().what == "a literal");
  CHECK_FALSE(kit.alive(p));
}

TEST_CASE("plain process: receive is selective, what no clause takes waits in order") {
  otp::test::kit kit;
  auto probe = kit.make_probe();
  auto to = probe.pid();
  auto p = otp::spawn(kit.node(), [to] {
    otp::receive<go>();  // a's and b's arrive first and wait
    auto b = otp::receive<b_msg>();
    otp::send(to, seen{fmt::format("b{}", b.n)});
    for (int i = 0; i < 3; ++i)
      otp::receive([&](const a_msg& a) { otp::send(to, seen{fmt::format("a{}", a.n)}); });
  });
  otp::send(p, a_msg{1});
  otp::send(p, a_msg{2});
  otp::send(p, b_msg{7});
  otp::send(p, a_msg{3});
  kit.run();
  CHECK(probe.empty());
  otp::send(p, go{});
  CHECK(probe.expect<seen>().what == "b7");
  CHECK(probe.expect<seen>().what == "a1");
  CHECK(probe.expect<seen>().what == "a2");
  CHECK(probe.expect<seen>().what == "a3");
  CHECK(kit.wait_exit(p) == otp::exit_reason::normal());
}

TEST_CASE("plain process: guards choose among messages of one type, clauses in order") {
  otp::test::kit kit;
  auto probe = kit.make_probe();
  auto to = probe.pid();
  auto p = otp::spawn(kit.node(), [to] {
    otp::receive<go>();
    for (int i = 0; i < 3; ++i) {
      auto got = otp::receive(otp::when([](const a_msg& a) { return a.n > 10; },
                                        [](const a_msg& a) { return fmt::format("big {}", a.n); }),
                              [](const b_msg& b) { return fmt::format("b {}", b.n); });
      otp::send(to, seen{got});
    }
  });
  otp::send(p, a_msg{1});
  otp::send(p, a_msg{20});
  otp::send(p, b_msg{2});
  otp::send(p, a_msg{30});
  otp::send(p, go{});
  CHECK(probe.expect<seen>().what == "big 20");  // a1 is skipped, and stays
  CHECK(probe.expect<seen>().what == "b 2");
  CHECK(probe.expect<seen>().what == "big 30");
}

TEST_CASE("plain process: receive ... after runs in virtual time") {
  otp::test::kit kit;
  auto probe = kit.make_probe();
  auto to = probe.pid();
  auto p = otp::spawn(kit.node(), [to] {
    auto what = otp::receive([](const a_msg&) { return std::string{"a"}; },
                             otp::after(5s, [] { return std::string{"timeout"}; }));
    otp::send(to, seen{what});
    auto b = otp::receive<b_msg>(2s);
    otp::send(to, seen{b ? std::to_string(b->n) : "none"});
    otp::receive(otp::after(0ms));  // `after 0`: returns at once
    otp::send(to, seen{"after 0"});
  });
  auto t0 = kit.now();
  kit.run();
  CHECK(probe.empty());
  kit.advance(4999ms);
  CHECK(probe.empty());
  kit.advance(1ms);
  CHECK(probe.expect<seen>().what == "timeout");
  CHECK(kit.now() - t0 == 5s);
  otp::send(p, b_msg{4});
  CHECK(probe.expect<seen>().what == "4");
  CHECK(probe.expect<seen>().what == "after 0");
  CHECK(kit.now() - t0 == 5s);
}

TEST_CASE("plain process: send_after and sleep wake it in virtual time") {
  otp::test::kit kit;
  auto probe = kit.make_probe();
  auto to = probe.pid();
  otp::spawn(kit.node(), [to] {
    otp::send_after(3s, a_msg{3});
    auto cancelled = otp::send_after(1s, a_msg{1});
    otp::cancel_timer(cancelled);
    auto a = otp::receive<a_msg>();
    otp::send(to, seen{std::to_string(a.n)});
    otp::sleep(2s);
    otp::send(to, seen{"slept"});
  });
  auto t0 = kit.now();
  CHECK(probe.expect<seen>().what == "3");
  CHECK(kit.now() - t0 == 3s);
  CHECK(probe.expect<seen>().what == "slept");
  CHECK(kit.now() - t0 == 5s);
}

TEST_CASE("plain process: a kill while it waits in receive unwinds its stack") {
  otp::test::kit kit;
  auto probe = kit.make_probe();
  auto destroyed = std::make_shared<std::atomic<int>>(0);
  auto p = otp::spawn(kit.node(), [destroyed] {
    witness w{destroyed};
    otp::receive<go>();
  });
  probe.monitor(p);
  kit.run();
  CHECK(*destroyed == 0);
  otp::exit(p, otp::exit_reason::kill());
  CHECK(probe.expect<otp::down>().reason == otp::exit_reason::killed());
  CHECK(*destroyed == 1);
}

TEST_CASE("plain process: exit signals kill it unless it traps them, then they are messages") {
  otp::test::kit kit;
  auto probe = kit.make_probe();
  auto to = probe.pid();
  auto plain = otp::spawn(kit.node(), [] { otp::receive<go>(); });
  auto trapper = otp::spawn(kit.node(), [to] {
    otp::trap_exit(true);
    otp::send(to, seen{"trapping"});
    auto e = otp::receive<otp::exit_signal>();
    otp::send(to, seen{fmt::format("{}", e.reason)});
  });
  probe.monitor(plain);
  CHECK(probe.expect<seen>().what == "trapping");
  otp::exit(plain, otp::exit_reason::normal());  // ignored: it does not trap
  kit.run();
  CHECK(kit.alive(plain));
  otp::exit(plain, otp::exit_reason::error("bye"));
  CHECK(probe.expect<otp::down>().reason == otp::exit_reason::error("bye"));
  otp::exit(trapper, otp::exit_reason::error("bye"));
  CHECK(probe.expect<seen>().what == fmt::format("{}", otp::exit_reason::error("bye")));
}

TEST_CASE("plain process: a normal exit signal it sends itself ends it, as in Erlang") {
  otp::test::kit kit;
  auto probe = kit.make_probe();
  auto destroyed = std::make_shared<std::atomic<int>>(0);
  auto to = probe.pid();
  auto p = otp::spawn(kit.node(), [destroyed, to] {
    witness w{destroyed};
    otp::exit(otp::self(), otp::exit_reason::normal());
    otp::send(to, seen{"still running"});
  });
  probe.monitor(p);
  CHECK(probe.expect<otp::down>().reason == otp::exit_reason::normal());
  CHECK(*destroyed == 1);
  CHECK(probe.empty());
  // Trapping, it is a message instead.
  auto trapper = otp::spawn(kit.node(), [to] {
    otp::trap_exit(true);
    otp::exit(otp::self(), otp::exit_reason::normal());
    auto e = otp::receive<otp::exit_signal>();
    otp::send(to, seen{fmt::format("{}", e.reason)});
  });
  CHECK(probe.expect<seen>().what == "normal");
}

TEST_CASE("plain process: a call to it fails with its exit reason when it exits") {
  otp::test::kit kit;
  auto p = otp::spawn(kit.node(), [] {
    otp::receive<b_msg>();  // not the call: a plain process has no handle_call
    otp::exit(otp::exit_reason::error("bye"));
  });
  otp::send_after(1s, p, b_msg{1});
  auto r = gen_server::try_call(otp::server_ref<answers_go>{p}, go{}, 5s);
  REQUIRE_FALSE(r);
  CHECK(r.error().what_kind() == otp::call_error::kind::exited);
  CHECK(r.error().reason() == otp::exit_reason::error("bye"));
}

TEST_CASE("plain process: spawn_link and spawn_monitor tie the child to its parent") {
  otp::test::kit kit;
  auto probe = kit.make_probe();
  auto to = probe.pid();
  auto parent = otp::spawn(kit.node(), [to] {
    otp::trap_exit(true);
    auto linked = otp::spawn_link([] { otp::exit(otp::exit_reason::error("crash")); });
    auto e = otp::receive<otp::exit_signal>();
    otp::send(to, seen{e.from == linked ? "exit from linked" : "exit from a stranger"});
    auto watched = otp::spawn_monitor([] {});  // exits normal at once
    auto d = otp::receive<otp::down>();
    otp::send(to, seen{d.pid == watched && d.reason.is_normal() ? "down normal" : "bad down"});
    otp::trap_exit(false);
    otp::spawn_link([] { throw std::runtime_error("boom"); });
    otp::receive<go>();  // killed by the link first
  });
  probe.monitor(parent);
  CHECK(probe.expect<seen>().what == "exit from linked");
  CHECK(probe.expect<seen>().what == "down normal");
  CHECK(probe.expect<otp::down>().reason == otp::exit_reason::exception("boom"));
  auto errors = kit.logs("process_error");
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].text.find("with exit value") != std::string::npos);
}

namespace {

struct stopper {
  std::shared_ptr<std::string> terminated_with;
  explicit stopper(std::shared_ptr<std::string> out) : terminated_with(std::move(out)) {}
  int handle_call(const a_msg&) { otp::exit(otp::exit_reason::error("asked to")); }
  void terminate(const otp::exit_reason& r) { *terminated_with = fmt::format("{}", r); }
};

struct adder {
  int handle_call(const a_msg& a) { return a.n + 1; }
};

}  // namespace

TEST_CASE("plain process: otp::exit in a gen_server callback stops it through terminate") {
  otp::test::kit kit;
  auto out = std::make_shared<std::string>();
  auto s = gen_server::start<stopper>(kit.node(), out).value();
  auto r = gen_server::try_call(s, a_msg{1});
  CHECK(!r.has_value());
  CHECK(*out == fmt::format("{}", otp::exit_reason::error("asked to")));
  CHECK(kit.wait_exit(otp::pid{s}) == otp::exit_reason::error("asked to"));
}

TEST_CASE("plain process: receive outside a plain process is refused") {
  otp::test::kit kit;
  CHECK_THROWS_AS(otp::receive<go>(1s), std::logic_error);
  CHECK_THROWS_AS(otp::spawn_link([] {}), std::logic_error);
}

TEST_CASE("plain process: ten thousand waiting in receive and in calls on two threads") {
  otp::node node{{.threads = 2, .log = otp::log_level::none}};
  auto server = gen_server::start<adder>(node).value();
  auto answered = std::make_shared<std::atomic<int>>(0);
  constexpr int n = 10'000;
  std::vector<otp::pid> waiting;
  waiting.reserve(n);
  for (int i = 0; i < n; ++i)
    waiting.push_back(otp::spawn(node, [server, answered] {
      auto a = otp::receive<a_msg>();
      if (gen_server::call(server, a, 5s) == a.n + 1)
        ++*answered;
    }));
  for (int i = 0; i < n; ++i)
    otp::send(waiting[static_cast<std::size_t>(i)], a_msg{i});
  CHECK(test_util::eventually([&] { return answered->load() == n; }, 30s));
}

TEST_CASE("plain process: await_exit from a thread and from a process") {
  otp::node node{{.threads = 2, .log = otp::log_level::none}};
  auto sleeper = otp::spawn(node, [] {
    otp::sleep(20ms);
    otp::exit(otp::exit_reason::error("done"));
  });
  CHECK(otp::await_exit(sleeper, 5s) == otp::exit_reason::error("done"));
  CHECK(otp::await_exit(sleeper, 5s) == otp::exit_reason::error("done"));  // exited already
  auto forever = otp::spawn(node, [] { otp::receive<go>(); });
  CHECK(!otp::await_exit(forever, 10ms).has_value());
  auto result = std::make_shared<std::atomic<int>>(0);
  auto watcher = otp::spawn(node, [forever, result] {
    auto r = otp::await_exit(forever);  // parks this process, not a thread
    *result = r && r->is_normal() ? 1 : 2;
  });
  otp::send(forever, go{});
  CHECK(otp::await_exit(watcher, 5s) == otp::exit_reason::normal());
  CHECK(*result == 1);
}

TEST_CASE("plain process: async_call is refused, the blocking call parks it instead") {
  otp::test::kit kit;
  auto server = gen_server::start<adder>(kit.node()).value();
  auto probe = kit.make_probe();
  auto to = probe.pid();
  otp::spawn(kit.node(), [server, to] {
    try {
      gen_server::async_call(server, a_msg{1}, 1s, [](auto) {});
      otp::send(to, seen{"accepted"});
    } catch (const std::logic_error&) {
      otp::send(to, seen{"refused"});
    }
    otp::send(to, seen{std::to_string(gen_server::call(server, a_msg{1}))});
  });
  CHECK(probe.expect<seen>().what == "refused");
  CHECK(probe.expect<seen>().what == "2");
}
