// Ensure that each strategy restarts exactly the children OTP restarts, that restart types are
// honoured, and that restart intensity is a sliding window in (virtual) time.

#include "sup_fixtures.hpp"

#include <algorithm>

using namespace sup_fixtures;
using namespace std::chrono_literals;
namespace supervisor = otp::supervisor;
namespace gen_server = otp::gen_server;

namespace {

void crash_child(otp::test::kit& kit, const otp::sup_ref& sup, const std::string& id) {
  auto p = child_pid(sup, id);
  REQUIRE(p);
  gen_server::cast(otp::server_ref<worker>{p}, crash{});
  kit.wait_exit(p);
  kit.run();
}

otp::sup_ref abc(otp::test::kit& kit, otp::strategy s, journal j, int intensity = 10) {
  auto sup = supervisor::start_link(kit.node(), {.strategy = s, .intensity = intensity},
                                    {worker_spec("a", j), worker_spec("b", j), worker_spec("c", j)})
               .value();
  j->clear();
  return sup;
}

}  // namespace

TEST_CASE("one_for_one restarts only the child that crashed") {
  otp::test::kit kit;
  auto j = new_journal();
  auto sup = abc(kit, otp::strategy::one_for_one, j);
  auto a = child_pid(sup, "a");
  auto b = child_pid(sup, "b");
  auto c = child_pid(sup, "c");
  crash_child(kit, sup, "b");
  CHECK(*j == std::vector<std::string>{"stop b {exception,crash b}", "start b"});
  CHECK(child_pid(sup, "a") == a);
  CHECK(child_pid(sup, "c") == c);
  CHECK(child_pid(sup, "b") != b);
  CHECK(kit.alive(child_pid(sup, "b")));
  auto children = supervisor::which_children(sup).value();
  CHECK(children[1].restarts == 1);
  auto reports = kit.logs("supervisor_report");
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].field("context") == "child_terminated");
  CHECK(reports[0].field("id") == "b");
  CHECK(reports[0].field("reason") == "{exception,crash b}");
}

TEST_CASE("one_for_all stops the others in reverse order, then restarts all in order") {
  otp::test::kit kit;
  auto j = new_journal();
  auto sup = abc(kit, otp::strategy::one_for_all, j);
  crash_child(kit, sup, "b");
  CHECK(*j
        == std::vector<std::string>{"stop b {exception,crash b}", "stop c shutdown",
                                    "stop a shutdown", "start a", "start b", "start c"});
  for (const auto& c : supervisor::which_children(sup).value())
    CHECK(kit.alive(c.pid));
}

TEST_CASE("rest_for_one restarts the crashed child and the ones started after it") {
  otp::test::kit kit;
  auto j = new_journal();
  auto sup = abc(kit, otp::strategy::rest_for_one, j);
  auto a = child_pid(sup, "a");
  crash_child(kit, sup, "b");
  CHECK(*j
        == std::vector<std::string>{"stop b {exception,crash b}", "stop c shutdown", "start b",
                                    "start c"});
  CHECK(child_pid(sup, "a") == a);
}

TEST_CASE("permanent children restart even after a normal exit") {
  otp::test::kit kit;
  auto j = new_journal();
  auto sup = supervisor::start_link(kit.node(), {}, {worker_spec("p", j)}).value();
  auto p = child_pid(sup, "p");
  gen_server::cast(otp::server_ref<worker>{p}, quit_normally{});
  kit.wait_exit(p);
  kit.run();
  CHECK(child_pid(sup, "p"));
  CHECK(child_pid(sup, "p") != p);
}

TEST_CASE("transient children restart only after an abnormal exit") {
  otp::test::kit kit;
  auto j = new_journal();
  auto sup = supervisor::start_link(kit.node(), {.intensity = 5},
                                    {worker_spec("t", j, otp::restart::transient)})
               .value();
  crash_child(kit, sup, "t");
  auto t = child_pid(sup, "t");
  REQUIRE(t);
  gen_server::cast(otp::server_ref<worker>{t}, quit_normally{});
  kit.wait_exit(t);
  kit.run();
  auto children = supervisor::which_children(sup).value();
  REQUIRE(children.size() == 1);  // the spec stays
  CHECK(children[0].state == otp::child_info::status::undefined);
  CHECK(kit.logs("supervisor_report").size() == 1);  // the normal exit is not reported
}

TEST_CASE("temporary children are never restarted, and their spec is removed") {
  otp::test::kit kit;
  auto j = new_journal();
  auto sup =
    supervisor::start_link(kit.node(), {},
                           {worker_spec("tmp", j, otp::restart::temporary), worker_spec("p", j)})
      .value();
  crash_child(kit, sup, "tmp");
  CHECK(child_ids(sup) == std::vector<std::string>{"p"});
}

TEST_CASE("a temporary child taken down by a sibling's failure is not restarted either") {
  otp::test::kit kit;
  auto j = new_journal();
  auto sup =
    supervisor::start_link(kit.node(), {.strategy = otp::strategy::one_for_all},
                           {worker_spec("tmp", j, otp::restart::temporary), worker_spec("p", j)})
      .value();
  j->clear();
  crash_child(kit, sup, "p");
  CHECK(*j
        == std::vector<std::string>{"stop p {exception,crash p}", "stop tmp shutdown", "start p"});
  CHECK(child_ids(sup) == std::vector<std::string>{"p"});
}

TEST_CASE("more than intensity restarts within period: children stop, the supervisor exits") {
  otp::test::kit kit;
  auto j = new_journal();
  auto sup = abc(kit, otp::strategy::one_for_one, j, 2);
  auto probe = kit.make_probe();
  probe.monitor(sup);
  crash_child(kit, sup, "a");
  kit.advance(1s);
  crash_child(kit, sup, "a");
  kit.advance(1s);
  REQUIRE(kit.alive(sup));
  crash_child(kit, sup, "c");  // the third restart within 5 s
  auto down = probe.expect<otp::down>();
  CHECK(down.reason == otp::exit_reason::shutdown());
  CHECK(std::vector<std::string>(j->end() - 2, j->end())
        == std::vector<std::string>{"stop b shutdown", "stop a shutdown"});
  auto reports = kit.logs("supervisor_report");
  CHECK(reports.back().field("context") == "shutdown");
  CHECK(reports.back().field("reason") == "reached_max_restart_intensity");
}

TEST_CASE("restarts spread wider than the period never reach the intensity") {
  otp::test::kit kit;
  auto j = new_journal();
  auto sup = abc(kit, otp::strategy::one_for_one, j, 1);
  for (int i = 0; i < 5; ++i) {
    crash_child(kit, sup, "b");
    kit.advance(6001ms);  // 6 whole seconds later: the last restart is out of the window
  }
  CHECK(kit.alive(sup));
  CHECK(supervisor::which_children(sup).value()[1].restarts == 5);
}

TEST_CASE("the period counts whole seconds, its boundary included (OTP's add_restart)") {
  // The virtual clock starts just after a whole second, so each crash falls in the second
  // its offset names.
  for (auto run : {std::pair{1s, 1001ms}, std::pair{5s, 5001ms}, std::pair{5s, 5999ms}}) {
    // Plain variables: INFO captures them in a lambda, and clang before 16 cannot capture
    // structured bindings.
    auto period = run.first;
    auto apart = run.second;
    INFO("period ", period.count(), " s, crashes ", apart.count(), " ms apart");
    otp::test::kit kit;
    auto j = new_journal();
    auto sup =
      supervisor::start_link(kit.node(), {.intensity = 1, .period = period}, {worker_spec("a", j)})
        .value();
    REQUIRE(kit.now() < 1s);
    crash_child(kit, sup, "a");
    kit.advance(apart);
    REQUIRE(kit.alive(sup));
    crash_child(kit, sup, "a");  // `period` whole seconds after the first: still inside
    CHECK(kit.wait_exit(sup) == otp::exit_reason::shutdown());
  }
}

TEST_CASE("intensity 0 gives up at the first restart") {
  otp::test::kit kit;
  auto j = new_journal();
  auto sup = abc(kit, otp::strategy::one_for_one, j, 0);
  crash_child(kit, sup, "a");
  CHECK(kit.wait_exit(sup) == otp::exit_reason::shutdown());
}

TEST_CASE("a failed restart is retried through the mailbox and counts toward intensity") {
  otp::test::kit kit;
  auto failures = std::make_shared<int>(0);
  auto sup = supervisor::start_link(kit.node(), {.intensity = 3},
                                    {{.id = "f", .start = otp::start_with<flaky>(failures)}})
               .value();
  auto f = child_pid(sup, "f");
  *failures = 2;  // the next two starts fail
  gen_server::cast(otp::server_ref<flaky>{f}, crash{});
  kit.wait_exit(f);
  kit.run();
  // crash (1 restart, fails) -> try again (2, fails) -> try again (3, succeeds)
  CHECK(kit.alive(sup));
  CHECK(kit.alive(child_pid(sup, "f")));
  CHECK(kit.logs("supervisor_report").size() == 3);  // child_terminated + 2 start_error

  *failures = 10;
  gen_server::cast(otp::server_ref<flaky>{child_pid(sup, "f")}, crash{});
  // Restart 4 exceeds intensity 3 within the period: the supervisor gives up.
  CHECK(kit.wait_exit(sup) == otp::exit_reason::shutdown());
}

TEST_CASE("a supervisor's shutdown escalates: its own supervisor restarts it") {
  otp::test::kit kit;
  auto j = new_journal();
  auto top = supervisor::start_link(
               kit.node(), {.intensity = 5},
               {{.id = "sub",
                 .start = supervisor::start_with({.intensity = 0}, {worker_spec("w", j)}),
                 .type = otp::child_type::supervisor}})
               .value();
  auto sub = otp::sup_ref{child_pid(top, "sub")};
  crash_child(kit, sub, "w");
  CHECK(kit.wait_exit(sub) == otp::exit_reason::shutdown());
  kit.run();
  auto sub2 = otp::sup_ref{child_pid(top, "sub")};
  REQUIRE(sub2);
  CHECK(sub2 != sub);
  CHECK(kit.alive(child_pid(sub2, "w")));
}

TEST_CASE("a simple_one_for_one supervisor past its intensity exits, and its parent restarts it") {
  otp::test::kit kit;
  auto j = new_journal();
  auto pool_spec =
    otp::child_spec{.id = "pool",
                    .start = supervisor::start_with(
                      {.strategy = otp::strategy::simple_one_for_one, .intensity = 2},
                      {{.id = "tmpl", .start = otp::start_with<worker, int>(std::string{"w"}, j)}}),
                    .type = otp::child_type::supervisor};
  auto top = supervisor::start_link(kit.node(), {.intensity = 5}, {pool_spec}).value();
  auto pool = otp::sup_ref{child_pid(top, "pool")};
  REQUIRE(supervisor::start_child(pool, 1));
  auto probe = kit.make_probe();
  probe.monitor(pool);
  for (int i = 0; i < 3; ++i) {  // the third restart within 5 s is one too many
    auto w = supervisor::which_children(pool).value().at(0).pid;
    gen_server::cast(otp::server_ref<worker>{w}, crash{});
    kit.wait_exit(w);
    kit.advance(100ms);
  }
  CHECK(probe.expect<otp::down>().reason == otp::exit_reason::shutdown());
  kit.run();
  auto pool2 = otp::sup_ref{child_pid(top, "pool")};
  REQUIRE(pool2);
  CHECK(pool2 != pool);
  CHECK(supervisor::count_children(pool2).value().active == 0);
  auto reports = kit.logs("supervisor_report");
  CHECK(std::any_of(reports.begin(), reports.end(), [](const otp::log_event& e) {
    return e.field("reason") == "reached_max_restart_intensity";
  }));
}

TEST_CASE("a simple_one_for_one supervisor past its intensity stops its other children") {
  otp::test::kit kit;
  auto j = new_journal();
  auto pool = supervisor::start_link(
                kit.node(), {.strategy = otp::strategy::simple_one_for_one, .intensity = 0},
                {{.id = "tmpl", .start = otp::start_with<worker, int>(std::string{"w"}, j)}})
                .value();
  auto w1 = supervisor::start_child(pool, 1).value();
  REQUIRE(supervisor::start_child(pool, 2));
  gen_server::cast(otp::server_ref<worker>{w1}, crash{});
  CHECK(kit.wait_exit(pool) == otp::exit_reason::shutdown());
  CHECK(j->back() == "stop w#2 shutdown");
}
