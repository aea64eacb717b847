// Ensure that a supervisor starts its children in order, fails its start cleanly, and refuses
// bad flags and specs naming the culprit.

#include "sup_fixtures.hpp"

using namespace sup_fixtures;
using namespace std::chrono_literals;
namespace gen_server = otp::gen_server;
namespace supervisor = otp::supervisor;

TEST_CASE("children start in order and which_children lists them, newest first") {
  otp::test::kit kit;
  auto j = new_journal();
  auto sup = supervisor::start_link(kit.node(), {},
                                    {worker_spec("a", j), worker_spec("b", j), worker_spec("c", j)})
               .value();
  CHECK(*j == std::vector<std::string>{"start a", "start b", "start c"});
  auto children = supervisor::which_children(sup).value();
  REQUIRE(children.size() == 3);
  CHECK(children[0].id == "c");  // newest first, as OTP's which_children lists them
  CHECK(children[2].id == "a");
  for (const auto& c : children) {
    CHECK(c.state == otp::child_info::status::running);
    CHECK(kit.alive(c.pid));
    CHECK(c.module == "sup_fixtures::worker");
  }
  auto counts = supervisor::count_children(sup).value();
  CHECK(counts.specs == 3);
  CHECK(counts.active == 3);
  CHECK(counts.workers == 3);
  CHECK(counts.supervisors == 0);
}

TEST_CASE("a child failing to start fails the supervisor's start, naming child and reason") {
  otp::test::kit kit;
  auto j = new_journal();
  auto failures = std::make_shared<int>(1);
  auto sup = supervisor::start_link(kit.node(), {},
                                    {worker_spec("a", j),
                                     worker_spec("b", j),
                                     {.id = "bad", .start = otp::start_with<flaky>(failures)},
                                     worker_spec("d", j)});
  REQUIRE_FALSE(sup);
  CHECK(sup.error().what_kind() == otp::start_error::kind::init_failed);
  CHECK(sup.error().reason() == otp::exit_reason::shutdown("{failed_to_start_child,bad,not_yet}"));
  // The children already started were stopped, in reverse order; d never started.
  CHECK(*j == std::vector<std::string>{"start a", "start b", "stop b shutdown", "stop a shutdown"});
  CHECK(kit.node().process_count() == 0);
  CHECK(kit.logs("supervisor_report").size() == 1);
}

TEST_CASE("a child whose start returns ignore is kept as not running") {
  otp::test::kit kit;
  struct ignorer {
    otp::init_result init() { return otp::ignore(); }
  };
  auto sup =
    supervisor::start_link(kit.node(), {}, {{.id = "i", .start = otp::start_with<ignorer>()}})
      .value();
  auto children = supervisor::which_children(sup).value();
  REQUIRE(children.size() == 1);
  CHECK(children[0].state == otp::child_info::status::undefined);
  CHECK_FALSE(children[0].pid);
}

TEST_CASE("OTP's defaults: one_for_one, 1 restart in 5 s, 5 s shutdown for workers") {
  otp::sup_flags flags;
  CHECK(flags.strategy == otp::strategy::one_for_one);
  CHECK(flags.intensity == 1);
  CHECK(flags.period == 5s);
  CHECK(flags.auto_shutdown == otp::auto_shutdown::never);
  otp::child_spec w{.id = "w"};
  CHECK(w.restart == otp::restart::permanent);
  CHECK(w.effective_shutdown().after() == 5000ms);
  otp::child_spec s{.id = "s", .type = otp::child_type::supervisor};
  CHECK(s.effective_shutdown().is_infinity());
  CHECK(fmt::format("{}", flags)
        == "#{strategy => one_for_one, intensity => 1, period => 5, auto_shutdown => never}");
}

namespace {

std::string refusal(otp::sup_flags flags, std::vector<otp::child_spec> specs) {
  otp::test::kit kit;
  auto r = supervisor::start_link(kit.node(), flags, std::move(specs));
  REQUIRE_FALSE(r);
  CHECK(kit.node().process_count() == 0);
  return fmt::format("{}", r.error().reason());
}

}  // namespace

TEST_CASE("bad flags and specs are refused at start with the offending value") {
  auto j = new_journal();
  auto ok_spec = worker_spec("w", j);
  CHECK(refusal({.intensity = -1}, {ok_spec}) == "{supervisor_data,{invalid_intensity,-1}}");
  CHECK(refusal({.period = 0ms}, {ok_spec}) == "{supervisor_data,{invalid_period,0}}");
  CHECK(refusal({.strategy = static_cast<otp::strategy>(9)}, {ok_spec})
        == "{supervisor_data,{invalid_strategy,9}}");
  CHECK(refusal({}, {ok_spec, ok_spec}) == "{start_spec,{duplicate_child_name,w}}");
  CHECK(refusal({}, {{.id = "nostart"}}) == "{start_spec,missing_start}");
  auto bad_restart = ok_spec;
  bad_restart.restart = static_cast<otp::restart>(7);
  CHECK(refusal({}, {bad_restart}) == "{start_spec,{invalid_restart_type,7}}");
  auto bad_shutdown = ok_spec;
  bad_shutdown.shutdown = otp::timeout{-5};
  CHECK(refusal({}, {bad_shutdown}) == "{start_spec,{invalid_shutdown,-5}}");
  auto significant_permanent = ok_spec;
  significant_permanent.significant = true;
  CHECK(refusal({.auto_shutdown = otp::auto_shutdown::any_significant}, {significant_permanent})
        == "{start_spec,{bad_combination,[{restart,permanent},{significant,true}]}}");
  auto significant_never = worker_spec("t", j, otp::restart::transient);
  significant_never.significant = true;
  CHECK(refusal({}, {significant_never})
        == "{start_spec,{bad_combination,[{auto_shutdown,never},{significant,true}]}}");
  CHECK(refusal({.strategy = otp::strategy::simple_one_for_one}, {ok_spec, worker_spec("x", j)})
        == "{bad_start_spec,[w,x]}");
  CHECK(refusal({}, {{.start = otp::start_with<worker>(std::string{"anon"}, j)}})
        == "{start_spec,missing_id}");
  // A simple_one_for_one template needs an id too.
  CHECK(refusal({.strategy = otp::strategy::simple_one_for_one},
                {{.start = otp::start_with<worker>(std::string{"anon"}, j)}})
        == "{start_spec,missing_id}");
  CHECK(j->empty());  // nothing was started for a refused spec
}

TEST_CASE("auto_shutdown works on a simple_one_for_one supervisor, as in OTP 25") {
  otp::test::kit kit;
  auto j = new_journal();
  auto significant = worker_spec("tmpl", j, otp::restart::temporary);
  significant.significant = true;
  auto pool = supervisor::start_link(kit.node(),
                                     {.strategy = otp::strategy::simple_one_for_one,
                                      .auto_shutdown = otp::auto_shutdown::any_significant},
                                     {significant})
                .value();
  auto c1 = supervisor::start_child(pool).value();
  auto c2 = supervisor::start_child(pool).value();
  gen_server::cast(otp::server_ref<worker>{c1}, quit_normally{});
  CHECK(kit.wait_exit(pool) == otp::exit_reason::shutdown());
  CHECK_FALSE(kit.alive(c2));
}

TEST_CASE("supervisors nest: a child can be a supervisor") {
  otp::test::kit kit;
  auto j = new_journal();
  auto top = supervisor::start_link(
               kit.node(), {},
               {worker_spec("a", j),
                {.id = "sub",
                 .start = supervisor::start_with({.strategy = otp::strategy::one_for_all},
                                                 {worker_spec("b", j), worker_spec("c", j)}),
                 .type = otp::child_type::supervisor}})
               .value();
  CHECK(*j == std::vector<std::string>{"start a", "start b", "start c"});
  auto sub = otp::sup_ref{child_pid(top, "sub")};
  CHECK(child_ids(sub) == std::vector<std::string>{"c", "b"});
  CHECK(supervisor::count_children(top).value().supervisors == 1);
  REQUIRE(otp::gen_server::stop(top, otp::exit_reason::shutdown()));
  CHECK(*j
        == std::vector<std::string>{"start a", "start b", "start c", "stop c shutdown",
                                    "stop b shutdown", "stop a shutdown"});
}
