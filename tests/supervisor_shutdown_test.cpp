// Ensure that children stop in reverse start order with exit(shutdown), are killed after their
// shutdown timeout, and that the supervisor is never stuck waiting.

#include "sup_fixtures.hpp"

#include <algorithm>

using namespace sup_fixtures;
using namespace std::chrono_literals;
namespace supervisor = otp::supervisor;
namespace gen_server = otp::gen_server;

TEST_CASE("stopping a supervisor stops its children in reverse start order") {
  otp::test::kit kit;
  auto j = new_journal();
  auto sup = supervisor::start_link(kit.node(), {},
                                    {worker_spec("a", j), worker_spec("b", j), worker_spec("c", j)})
               .value();
  REQUIRE(gen_server::stop(sup, otp::exit_reason::shutdown()));
  CHECK(*j
        == std::vector<std::string>{"start a", "start b", "start c", "stop c shutdown",
                                    "stop b shutdown", "stop a shutdown"});
  CHECK(kit.node().process_count() == 0);
}

TEST_CASE("a child that ignores shutdown is killed after its timeout") {
  otp::test::kit kit;
  auto j = new_journal();
  auto sup = supervisor::start_link(kit.node(), {},
                                    {{.id = "s", .start = stubborn(j, "s"), .shutdown = 1500ms}})
               .value();
  auto s = child_pid(sup, "s");
  auto probe = kit.make_probe();
  probe.monitor(s);
  auto t0 = kit.now();
  REQUIRE(gen_server::stop(sup, otp::exit_reason::shutdown()));
  CHECK(kit.now() - t0 == 1500ms);
  CHECK(probe.expect<otp::down>().reason == otp::exit_reason::killed());
  CHECK(*j == std::vector<std::string>{"ignored s"});
  // OTP reports a child killed at its timeout: shutdown_error, killed.
  auto reports = kit.logs("supervisor_report");
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].field("context") == "shutdown_error");
  CHECK(reports[0].field("reason") == "killed");
  CHECK(reports[0].field("id") == "s");
  CHECK(reports[0].field("pid") == fmt::format("{}", s));
}

TEST_CASE("brutal_kill kills at once") {
  otp::test::kit kit;
  auto j = new_journal();
  auto spec = worker_spec("w", j);
  spec.shutdown = otp::brutal_kill;
  auto sup = supervisor::start_link(kit.node(), {}, {spec}).value();
  auto probe = kit.make_probe();
  probe.monitor(child_pid(sup, "w"));
  auto t0 = kit.now();
  REQUIRE(gen_server::stop(sup));
  CHECK(kit.now() == t0);
  CHECK(probe.expect<otp::down>().reason == otp::exit_reason::killed());
  CHECK(*j == std::vector<std::string>{"start w"});  // killed: no terminate
  CHECK(kit.logs("supervisor_report").empty());      // killed is what brutal_kill expects
}

TEST_CASE("brutal_kill of a simple_one_for_one pool reports nothing") {
  otp::test::kit kit;
  auto j = new_journal();
  auto spec = worker_spec("w", j);
  spec.shutdown = otp::brutal_kill;
  auto pool =
    supervisor::start_link(kit.node(), {.strategy = otp::strategy::simple_one_for_one}, {spec})
      .value();
  for (int i = 0; i < 3; ++i)
    REQUIRE(supervisor::start_child(pool));
  REQUIRE(gen_server::stop(pool));
  CHECK(kit.logs("supervisor_report").empty());
}

TEST_CASE("shutdown infinity waits as long as the child takes") {
  otp::test::kit kit;
  auto j = new_journal();
  // A child that needs 30 s of (virtual) time to stop after being told to.
  auto slow = otp::start_function{
    [](const otp::extra_args&) -> otp::start_function::result_type {
      auto* self = otp::detail::server_core::current();
      auto child = self->home().system().spawn([](caf::event_based_actor* a) -> caf::behavior {
        a->set_exit_handler(
          [a](caf::exit_msg&) { a->delayed_send(caf::actor_cast<caf::actor>(a), 30s, 0); });
        return {[a](int) { a->quit(caf::exit_reason::user_shutdown); }};
      });
      self->link_to(child);
      return otp::to_pid(child);
    },
    "slow"};
  auto sup = supervisor::start_link(
               kit.node(), {},
               {{.id = "slow", .start = slow, .shutdown = otp::infinity}, worker_spec("w", j)})
               .value();
  auto t0 = kit.now();
  REQUIRE(gen_server::stop(sup));
  CHECK(kit.now() - t0 == 30s);
  CHECK(*j == std::vector<std::string>{"start w", "stop w shutdown"});
}

TEST_CASE("while a child is being stopped, the supervisor holds calls and answers after") {
  otp::test::kit kit;
  auto j = new_journal();
  auto sup =
    supervisor::start_link(
      kit.node(), {}, {{.id = "s", .start = stubborn(j, "s"), .shutdown = 2s}, worker_spec("w", j)})
      .value();
  // terminate_child waits 2 s for the stubborn child; count_children queued behind it.
  auto t0 = kit.now();
  REQUIRE(supervisor::terminate_child(sup, "s"));
  CHECK(kit.now() - t0 == 2s);
  CHECK(supervisor::count_children(sup).value().active == 1);
  REQUIRE(gen_server::stop(sup));
}

TEST_CASE("a parent's exit signal stops the supervisor and its children") {
  otp::test::kit kit;
  auto j = new_journal();
  auto top = supervisor::start_link(
               kit.node(), {},
               {{.id = "sub",
                 .start = supervisor::start_with({}, {worker_spec("a", j), worker_spec("b", j)}),
                 .type = otp::child_type::supervisor}})
               .value();
  otp::exit(top, otp::exit_reason::shutdown());
  CHECK(kit.wait_exit(top) == otp::exit_reason::shutdown());
  CHECK(*j == std::vector<std::string>{"start a", "start b", "stop b shutdown", "stop a shutdown"});
}

namespace {

/// Stops a simple_one_for_one pool of `n` children that ignore their shutdown (timeout 1 s);
/// returns the virtual time the stop took. Each child notes "ignored s" in `j` when told.
otp::timeout stop_stubborn_pool(otp::test::kit& kit, const journal& j, std::size_t n) {
  auto sup = supervisor::start_link(kit.node(), {.strategy = otp::strategy::simple_one_for_one},
                                    {{.id = "s", .start = stubborn(j, "s"), .shutdown = 1s}})
               .value();
  for (std::size_t i = 0; i < n; ++i)
    REQUIRE(supervisor::start_child(sup));
  auto t0 = kit.now();
  REQUIRE(gen_server::stop(sup));
  return kit.now() - t0;
}

}  // namespace

TEST_CASE("simple_one_for_one children stop concurrently at shutdown") {
  otp::test::kit kit;
  auto j = new_journal();
  CHECK(stop_stubborn_pool(kit, j, 3) == 1s);  // one timeout for all three, not three in a row
  CHECK(j->size() == 3);
}

TEST_CASE("a large simple_one_for_one pool tells every child at shutdown, a window at a time") {
  // The stop tells 256 children at a time (CAF's scheduler goes quadratic on 100k at once) and
  // moves on when they are slow to go, so each child still gets its shutdown within
  // milliseconds, long before the one shutdown timeout that runs for all of them.
  otp::test::kit kit;
  auto j = new_journal();
  CHECK(stop_stubborn_pool(kit, j, 700) == 1s);
  CHECK(j->size() == 700);  // every stubborn child was told (and ignored it)
}

TEST_CASE("killing a supervisor: its trapping children see killed and terminate") {
  otp::test::kit kit;
  auto j = new_journal();
  auto sup = supervisor::start_link(kit.node(), {}, {worker_spec("a", j)}).value();
  auto a = child_pid(sup, "a");
  otp::exit(sup, otp::exit_reason::kill());
  CHECK(kit.wait_exit(sup) == otp::exit_reason::killed());
  CHECK(kit.wait_exit(a) == otp::exit_reason::killed());
  CHECK(*j == std::vector<std::string>{"start a", "stop a killed"});
}

namespace {

/// Ignores its supervisor's shutdown, then exits `normal` on its own 100 ms later — as a
/// connection does whose peer closes while the listener stops.
otp::start_function leaves_normally_later() {
  return otp::start_function{
    [](const otp::extra_args&) -> otp::start_function::result_type {
      auto* self = otp::detail::server_core::current();
      auto child = self->home().system().spawn([](caf::event_based_actor* a) -> caf::behavior {
        a->set_exit_handler([a](caf::exit_msg&) { a->delayed_send(a, 100ms, 1); });
        return {[a](int) { a->quit(); }};
      });
      self->link_to(child);
      return otp::to_pid(child);
    },
    "leaves_normally_later"};
}

}  // namespace

TEST_CASE("a non-permanent child that exits normal during shutdown is no shutdown_error (OTP)") {
  for (auto restart : {otp::restart::temporary, otp::restart::transient, otp::restart::permanent}) {
    otp::test::kit kit;
    auto sup =
      supervisor::start_link(
        kit.node(), {.strategy = otp::strategy::simple_one_for_one},
        {{.id = "w", .start = leaves_normally_later(), .restart = restart, .shutdown = 1s}})
        .value();
    REQUIRE(supervisor::start_child(sup));
    kit.clear_logs();
    auto t0 = kit.now();
    REQUIRE(gen_server::stop(sup));
    CHECK(kit.now() - t0 == 100ms);
    // OTP's do_terminate: {error, normal} is fine unless the child is permanent.
    CHECK(kit.logs("supervisor_report").size() == (restart == otp::restart::permanent ? 1u : 0u));
  }
}

namespace {

/// a (worker), h (ignores its shutdown; killed after 500 ms), c (worker).
otp::sup_ref a_h_c(otp::test::kit& kit, otp::strategy s, const journal& j) {
  return supervisor::start_link(kit.node(), {.strategy = s},
                                {worker_spec("a", j),
                                 {.id = "h", .start = stubborn(j, "h"), .shutdown = 500ms},
                                 worker_spec("c", j)})
    .value();
}

}  // namespace

TEST_CASE("one_for_all: after a shutdown timeout the ordered stop goes on, then all restart") {
  for (auto s : {otp::strategy::one_for_all, otp::strategy::rest_for_one}) {
    INFO("strategy ", static_cast<int>(s));
    otp::test::kit kit;
    auto j = new_journal();
    auto sup = a_h_c(kit, s, j);
    auto a = child_pid(sup, "a");
    auto h = child_pid(sup, "h");
    auto probe = kit.make_probe();
    probe.monitor(h);
    j->clear();
    auto c = child_pid(sup, "c");
    // rest_for_one takes down what started after the crashed child: crash a there.
    auto crashed = s == otp::strategy::one_for_all ? c : a;
    gen_server::cast(otp::server_ref<worker>{crashed}, crash{});
    kit.wait_exit(crashed);
    auto t0 = kit.now();
    kit.advance(1s);
    CHECK(probe.expect<otp::down>().reason == otp::exit_reason::killed());
    auto children = supervisor::which_children(sup).value();
    REQUIRE(children.size() == 3);
    for (const auto& child : children) {
      CAPTURE(child.id);
      CHECK(kit.alive(child.pid));
    }
    CHECK(children[0].pid != a);
    CHECK(children[1].pid != h);
    CHECK(children[2].pid != c);
    if (s == otp::strategy::one_for_all) {
      CHECK(*j
            == std::vector<std::string>{"stop c {exception,crash c}", "ignored h",
                                        "stop a shutdown", "start a", "start c"});
    } else {
      CHECK(*j
            == std::vector<std::string>{"stop a {exception,crash a}", "stop c shutdown",
                                        "ignored h", "start a", "start c"});
    }
    CHECK(kit.now() - t0 == 1s);
  }
}

TEST_CASE("an orderly stop goes on after a shutdown timeout, and the supervisor exits last") {
  otp::test::kit kit;
  auto j = new_journal();
  auto sup = a_h_c(kit, otp::strategy::one_for_one, j);
  auto probe = kit.make_probe();
  probe.monitor(child_pid(sup, "a"));
  probe.monitor(sup);
  j->clear();
  auto t0 = kit.now();
  REQUIRE(gen_server::stop(sup, otp::exit_reason::shutdown()));
  CHECK(kit.now() - t0 == 500ms);
  CHECK(*j == std::vector<std::string>{"stop c shutdown", "ignored h", "stop a shutdown"});
  // a went down before the supervisor did.
  auto first = probe.expect<otp::down>();
  CHECK(first.reason == otp::exit_reason::shutdown());
  CHECK(first.pid != otp::pid{sup});
  CHECK(probe.expect<otp::down>().pid == otp::pid{sup});
}

namespace {

/// Traps exits; its terminate waits 5 s (in virtual time) before it journals "slept".
struct slow_terminator {
  journal j;
  explicit slow_terminator(journal jj) : j(std::move(jj)) { otp::trap_exit(true); }
  void terminate(const otp::exit_reason& r) {
    j->push_back(fmt::format("terminate {}", r));
    otp::sleep(5s);
    j->push_back("slept");
  }
};

}  // namespace

TEST_CASE("a child waiting in terminate is killed at its shutdown timeout, reason killed") {
  otp::test::kit kit;
  auto j = new_journal();
  auto sup = supervisor::start_link(
               kit.node(), {},
               {{.id = "slow", .start = otp::start_with<slow_terminator>(j), .shutdown = 500ms},
                worker_spec("w", j)})
               .value();
  auto probe = kit.make_probe();
  probe.monitor(child_pid(sup, "slow"));
  j->clear();
  auto t0 = kit.now();
  REQUIRE(gen_server::stop(sup));
  CHECK(kit.now() - t0 == 500ms);
  CHECK(probe.expect<otp::down>().reason == otp::exit_reason::killed());
  CHECK(*j == std::vector<std::string>{"stop w shutdown", "terminate shutdown"});
}

TEST_CASE("a simple_one_for_one pool of 4 children waiting in terminate stops within one timeout") {
  otp::test::kit kit;
  auto j = new_journal();
  auto pool = supervisor::start_link(
                kit.node(), {.strategy = otp::strategy::simple_one_for_one},
                {{.id = "slow", .start = otp::start_with<slow_terminator>(j), .shutdown = 500ms}})
                .value();
  auto probe = kit.make_probe();
  for (int i = 0; i < 4; ++i)
    probe.monitor(supervisor::start_child(pool).value());
  auto t0 = kit.now();
  REQUIRE(gen_server::stop(pool));
  CHECK(kit.now() - t0 == 500ms);
  for (int i = 0; i < 4; ++i)
    CHECK(probe.expect<otp::down>().reason == otp::exit_reason::killed());
  CHECK(std::count(j->begin(), j->end(), "slept") == 0);
  // One report for the pool, as OTP makes: id=slow, nb_children=4.
  auto reports = kit.logs("supervisor_report");
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].field("context") == "shutdown_error");
  CHECK(reports[0].field("reason") == "killed");
  CHECK(reports[0].field("id") == "slow");
  CHECK(reports[0].field("nb_children") == "4");
}

namespace {

/// A pool child that traps exits and journals its number when it terminates.
struct numbered {
  journal j;
  int n;
  numbered(journal jj, int nn) : j(std::move(jj)), n(nn) { otp::trap_exit(true); }
  void terminate(const otp::exit_reason& r) { j->push_back(fmt::format("stop {} {}", n, r)); }
};

}  // namespace

TEST_CASE("a simple_one_for_one pool's children are told to exit in start order") {
  // As OTP's supervisor folds its map of pids (a small map folds in pid order): the stop
  // keeps the pool's ids sorted, not in the order of a hash table.
  otp::test::kit kit;
  auto j = new_journal();
  auto pool = supervisor::start_link(kit.node(), {.strategy = otp::strategy::simple_one_for_one},
                                     {{.id = "n", .start = otp::start_with<numbered, int>(j)}})
                .value();
  for (int n = 1; n <= 5; ++n)
    REQUIRE(supervisor::start_child(pool, n));
  REQUIRE(gen_server::stop(pool));
  CHECK(*j
        == std::vector<std::string>{"stop 1 shutdown", "stop 2 shutdown", "stop 3 shutdown",
                                    "stop 4 shutdown", "stop 5 shutdown"});
  CHECK(kit.node().process_count() == 0);
}
