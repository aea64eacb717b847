// Ensure that the dynamic-children API behaves as OTP's, error cases included, and that
// simple_one_for_one appends start_child's arguments to the template's.

#include "sup_fixtures.hpp"

#include "supervision/child_exits.hpp"  // the library's private exit-observer hook

using namespace sup_fixtures;
using namespace std::chrono_literals;
namespace supervisor = otp::supervisor;
namespace gen_server = otp::gen_server;
using kind = otp::sup_error::kind;

namespace {

/// A simple_one_for_one pool of workers named "w#<extra>".
otp::sup_ref worker_pool(otp::test::kit& kit, journal j, int intensity = 1) {
  return supervisor::start_link(
           kit.node(), {.strategy = otp::strategy::simple_one_for_one, .intensity = intensity},
           {{.id = "tmpl", .start = otp::start_with<worker, int>(std::string{"w"}, j)}})
    .value();
}

}  // namespace

TEST_CASE("start_child, terminate_child, restart_child, delete_child, get_childspec") {
  otp::test::kit kit;
  auto j = new_journal();
  auto sup = supervisor::start_link(kit.node(), {}, {worker_spec("a", j)}).value();

  auto b = supervisor::start_child(sup, worker_spec("b", j));
  REQUIRE(b);
  CHECK(child_ids(sup) == std::vector<std::string>{"b", "a"});  // newest first, as OTP lists

  auto again = supervisor::start_child(sup, worker_spec("b", j));
  CHECK(again.error().what_kind() == kind::already_started);
  CHECK(again.error().existing() == *b);

  REQUIRE(supervisor::terminate_child(sup, "b"));
  CHECK_FALSE(kit.alive(*b));
  CHECK(j->back() == "stop b shutdown");
  CHECK(supervisor::start_child(sup, worker_spec("b", j)).error().what_kind()
        == kind::already_present);
  CHECK(supervisor::delete_child(sup, "a").error().what_kind() == kind::running);

  auto b2 = supervisor::restart_child(sup, "b");
  REQUIRE(b2);
  CHECK(kit.alive(*b2));
  CHECK(supervisor::restart_child(sup, "b").error().what_kind() == kind::running);

  REQUIRE(supervisor::terminate_child(sup, "b"));
  REQUIRE(supervisor::delete_child(sup, "b"));
  CHECK(child_ids(sup) == std::vector<std::string>{"a"});

  CHECK(supervisor::terminate_child(sup, "zz").error().what_kind() == kind::not_found);
  CHECK(supervisor::restart_child(sup, "zz").error().what_kind() == kind::not_found);
  CHECK(supervisor::delete_child(sup, "zz").error().what_kind() == kind::not_found);
  CHECK(supervisor::get_childspec(sup, "zz").error().what_kind() == kind::not_found);
  auto spec = supervisor::get_childspec(sup, "a").value();
  CHECK(spec.id == "a");
  CHECK(fmt::format("{}", spec)
        == "#{id => a, start => sup_fixtures::worker, restart => permanent, shutdown => 5000, "
           "type => worker, significant => false}");
}

TEST_CASE("a terminated temporary child's spec is deleted") {
  otp::test::kit kit;
  auto j = new_journal();
  auto sup = supervisor::start_link(kit.node(), {}, {}).value();
  REQUIRE(supervisor::start_child(sup, worker_spec("t", j, otp::restart::temporary)));
  REQUIRE(supervisor::terminate_child(sup, "t"));
  CHECK(child_ids(sup).empty());
}

TEST_CASE("start_child with a bad spec or a failing start reports the error, adds nothing") {
  otp::test::kit kit;
  auto sup = supervisor::start_link(kit.node(), {}, {}).value();
  auto bad = supervisor::start_child(sup, otp::child_spec{.id = "x"});
  CHECK(bad.error().what_kind() == kind::invalid_spec);
  CHECK(fmt::format("{}", bad.error().reason()) == "missing_start");
  auto failing = supervisor::start_child(
    sup, {.id = "f", .start = otp::start_with<flaky>(std::make_shared<int>(1))});
  CHECK(failing.error().what_kind() == kind::start_failed);
  CHECK(failing.error().reason() == otp::exit_reason::error("not_yet"));
  CHECK(child_ids(sup).empty());
}

TEST_CASE("simple_one_for_one: start_child appends its arguments to the template's") {
  otp::test::kit kit;
  auto j = new_journal();
  auto sup = worker_pool(kit, j);
  auto w1 = supervisor::start_child(sup, 1).value();
  auto w2 = supervisor::start_child(sup, 2).value();
  CHECK(gen_server::call(otp::server_ref<worker>{w1}, whoami{}) == "w#1");
  CHECK(gen_server::call(otp::server_ref<worker>{w2}, whoami{}) == "w#2");
  auto counts = supervisor::count_children(sup).value();
  CHECK(counts.specs == 1);
  CHECK(counts.active == 2);
  auto children = supervisor::which_children(sup).value();
  REQUIRE(children.size() == 2);
  CHECK(children[0].pid == w1);
  CHECK(children[0].id.empty());

  auto wrong = supervisor::start_child(sup, std::string{"not an int"});
  CHECK(wrong.error().what_kind() == kind::start_failed);

  REQUIRE(supervisor::terminate_child(sup, w1));
  CHECK_FALSE(kit.alive(w1));
  CHECK(supervisor::count_children(sup).value().active == 1);
  CHECK(supervisor::terminate_child(sup, w1).has_value());  // dead: gone already (OTP: ok)
  CHECK(supervisor::terminate_child(sup, "tmpl").error().what_kind() == kind::simple_one_for_one);
  CHECK(supervisor::delete_child(sup, "tmpl").error().what_kind() == kind::simple_one_for_one);
  CHECK(supervisor::restart_child(sup, "tmpl").error().what_kind() == kind::simple_one_for_one);
  CHECK(supervisor::start_child(sup, worker_spec("x", j)).error().what_kind()
        == kind::simple_one_for_one);
}

TEST_CASE("simple_one_for_one: a string literal goes to a std::string argument") {
  otp::test::kit kit;
  auto j = new_journal();
  auto rooms =
    supervisor::start_link(
      kit.node(), {.strategy = otp::strategy::simple_one_for_one},
      {{.id = "tmpl", .start = otp::start_with<worker, std::string>(std::string{"room"}, j)}})
      .value();
  auto lobby = supervisor::start_child(rooms, "lobby").value();
  CHECK(gen_server::call(otp::server_ref<worker>{lobby}, whoami{}) == "room#lobby");
  const char* name = "hall";
  auto hall = supervisor::start_child(rooms, name).value();
  CHECK(gen_server::call(otp::server_ref<worker>{hall}, whoami{}) == "room#hall");
}

TEST_CASE("simple_one_for_one restarts a crashed child with its own arguments") {
  otp::test::kit kit;
  auto j = new_journal();
  auto sup = worker_pool(kit, j, 5);
  auto w7 = supervisor::start_child(sup, 7).value();
  gen_server::cast(otp::server_ref<worker>{w7}, crash{});
  kit.wait_exit(w7);
  kit.run();
  auto children = supervisor::which_children(sup).value();
  REQUIRE(children.size() == 1);
  CHECK(children[0].pid != w7);
  CHECK(children[0].restarts == 1);
  CHECK(gen_server::call(otp::server_ref<worker>{children[0].pid}, whoami{}) == "w#7");
  // The report names the template's id, as OTP's does (it printed `{id,}`).
  auto reports = kit.logs("supervisor_report");
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].field("context") == "child_terminated");
  CHECK(reports[0].field("id") == "tmpl");
  CHECK(reports[0].text.find("{id,tmpl}") != std::string::npos);
}

TEST_CASE("calls to a dead supervisor fail with call_failed") {
  otp::test::kit kit;
  auto sup = supervisor::start_link(kit.node(), {}, {}).value();
  REQUIRE(gen_server::stop(sup));
  auto r = supervisor::which_children(sup);
  REQUIRE_FALSE(r);
  CHECK(r.error().what_kind() == kind::call_failed);
  CHECK(r.error().call_kind() == otp::call_error::kind::noproc);
}

TEST_CASE("auto_shutdown any_significant: a significant child's exit stops the supervisor") {
  otp::test::kit kit;
  auto j = new_journal();
  auto sig = worker_spec("sig", j, otp::restart::transient);
  sig.significant = true;
  auto sup =
    supervisor::start_link(kit.node(), {.auto_shutdown = otp::auto_shutdown::any_significant},
                           {worker_spec("other", j), sig})
      .value();
  gen_server::cast(otp::server_ref<worker>{child_pid(sup, "sig")}, quit_normally{});
  CHECK(kit.wait_exit(sup) == otp::exit_reason::shutdown());
  CHECK(j->back() == "stop other shutdown");
}

TEST_CASE("auto_shutdown all_significant: only the last significant child's exit stops it") {
  otp::test::kit kit;
  auto j = new_journal();
  auto s1 = worker_spec("s1", j, otp::restart::temporary);
  s1.significant = true;
  auto s2 = worker_spec("s2", j, otp::restart::temporary);
  s2.significant = true;
  auto sup = supervisor::start_link(
               kit.node(), {.auto_shutdown = otp::auto_shutdown::all_significant}, {s1, s2})
               .value();
  auto p2 = child_pid(sup, "s2");
  gen_server::cast(otp::server_ref<worker>{child_pid(sup, "s1")}, quit_normally{});
  kit.run();
  CHECK(kit.alive(sup));
  gen_server::cast(otp::server_ref<worker>{p2}, quit_normally{});
  CHECK(kit.wait_exit(sup) == otp::exit_reason::shutdown());
}

namespace {

struct start_many {
  otp::sup_ref sup;
  int count;
};

/// Starts children through async_start_child, one after the other, without blocking.
struct starter {
  int started = 0;
  otp::call_result<int> handle_call(const start_many& r, otp::from<int> caller) {
    next(r.sup, r.count, caller);
    return otp::noreply();
  }
  void next(otp::sup_ref sup, int left, otp::from<int> caller) {
    if (left == 0) {
      caller.reply(started);
      return;
    }
    supervisor::async_start_child(
      sup,
      [this, sup, left, caller](otp::expected<otp::pid, otp::sup_error> r) {
        if (r)
          ++started;
        next(sup, left - 1, caller);
      },
      left);
  }
};

}  // namespace

TEST_CASE("async_start_child starts children without blocking the calling process") {
  otp::test::kit kit;
  auto j = new_journal();
  auto sup = worker_pool(kit, j);
  auto s = gen_server::start<starter>(kit.node()).value();
  CHECK(gen_server::call(s, start_many{sup, 50}) == 50);
  CHECK(supervisor::count_children(sup).value().active == 50);
}

TEST_CASE("an exit observer hears of each child's exit, crashes and terminations alike") {
  // The socket server's owner counts connections this way (observe_child_exits).
  otp::test::kit kit;
  auto j = new_journal();
  auto sup = worker_pool(kit, j, 5);
  auto observer = kit.make_probe();
  otp::detail::observe_child_exits(sup, observer.pid());
  auto w1 = supervisor::start_child(sup, 1).value();
  auto w2 = supervisor::start_child(sup, 2).value();
  gen_server::cast(otp::server_ref<worker>{w1}, crash{});
  auto crashed = observer.expect<otp::detail::sup_child_exit>();
  CHECK(crashed.child == w1);
  CHECK_FALSE(crashed.reason.is_clean());
  REQUIRE(supervisor::terminate_child(sup, w2));  // through a stop job
  auto stopped = observer.expect<otp::detail::sup_child_exit>();
  CHECK(stopped.child == w2);
  CHECK(fmt::format("{}", stopped.reason) == "shutdown");
  CHECK(observer.empty());
}

TEST_CASE("terminate_child by pid: only simple_one_for_one children have one (OTP)") {
  otp::test::kit kit;
  auto j = new_journal();
  auto sup = supervisor::start_link(kit.node(), {}, {worker_spec("a", j)}).value();
  auto a = child_pid(sup, "a");
  CHECK(supervisor::terminate_child(sup, a).error().what_kind() == kind::not_found);
  CHECK(kit.alive(a));

  auto pool = worker_pool(kit, j);
  auto w = supervisor::start_child(pool, 1).value();
  auto stranger = supervisor::start_child(worker_pool(kit, j), 2).value();
  CHECK(supervisor::terminate_child(pool, stranger).error().what_kind() == kind::not_found);
  CHECK(kit.alive(stranger));
  gen_server::cast(otp::server_ref<worker>{w}, quit_normally{});
  kit.wait_exit(w);
  CHECK(supervisor::terminate_child(pool, w).has_value());
}

TEST_CASE("terminate_child of a simple_one_for_one child waiting to restart forgets it") {
  otp::test::kit kit;
  auto failures = std::make_shared<int>(0);
  auto pool = supervisor::start_link(
                kit.node(), {.strategy = otp::strategy::simple_one_for_one, .intensity = 5},
                {{.id = "f", .start = otp::start_with<flaky>(failures)}})
                .value();
  auto f = supervisor::start_child(pool).value();
  *failures = 1000;  // every restart fails: the child keeps waiting as restarting
  gen_server::cast(otp::server_ref<flaky>{f}, crash{});
  kit.wait_exit(f);
  REQUIRE(supervisor::which_children(pool).value().size() == 1);
  CHECK(supervisor::terminate_child(pool, f).has_value());
  CHECK(supervisor::which_children(pool).value().empty());
  kit.run();
  CHECK(kit.alive(pool));
}

namespace {

/// Starts a worker registered as "solo" (linked to the calling supervisor).
otp::start_function solo_worker(journal j) {
  return otp::start_function{[j](const otp::extra_args&) -> otp::start_function::result_type {
                               auto r = gen_server::start_link<worker>(
                                 otp::start_options{.name = "solo"}, std::string{"solo"}, j);
                               if (!r)
                                 return otp::unexpected{r.error()};
                               return otp::pid{*r};
                             },
                             "solo"};
}

}  // namespace

TEST_CASE("a child whose name is taken: {already_started, Pid}, static and simple_one_for_one") {
  otp::test::kit kit;
  auto j = new_journal();
  auto pool = supervisor::start_link(kit.node(), {.strategy = otp::strategy::simple_one_for_one},
                                     {{.id = "tmpl", .start = solo_worker(j)}})
                .value();
  auto first = supervisor::start_child(pool).value();
  auto again = supervisor::start_child(pool);
  REQUIRE_FALSE(again);
  CHECK(again.error().what_kind() == kind::start_failed);
  CHECK(again.error().existing() == first);
  CHECK(again.error().reason()
        == otp::exit_reason::error(fmt::format("{{already_started,{}}}", first)));

  auto sup = supervisor::start_link(kit.node(), {}, {}).value();
  auto taken = supervisor::start_child(sup, {.id = "s", .start = solo_worker(j)});
  REQUIRE_FALSE(taken);
  CHECK(taken.error().existing() == first);
  // A failed start_child is the caller's to handle: OTP writes no report for it.
  CHECK(kit.logs("supervisor_report").empty());

  // At a supervisor's own start, the failure is reported (start_error) and fails the start.
  auto at_init = supervisor::start_link(kit.node(), {}, {{.id = "s", .start = solo_worker(j)}});
  REQUIRE_FALSE(at_init);
  auto reports = kit.logs("supervisor_report");
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].field("context") == "start_error");
  CHECK(reports[0].field("reason") == fmt::format("{{already_started,{}}}", first));
}

namespace {

struct ask_children {};
struct ask_everything {};
struct ping {};

/// Asks its supervisor without waiting, and answers pings meanwhile.
struct asker {
  otp::sup_ref sup;
  journal log;
  journal workers_log;
  asker(otp::sup_ref s, journal l, journal w)
    : sup(std::move(s)), log(std::move(l)), workers_log(std::move(w)) {}

  void handle_cast(const ask_children&) {
    supervisor::async_which_children(sup, [l = log](auto r) {
      l->push_back(fmt::format("children {}", r ? static_cast<int>(r->size()) : -1));
    });
  }
  void handle_cast(const ask_everything&) {
    auto say = [l = log](std::string what) {
      return
        [l, what](auto r) { l->push_back(what + (r ? " ok" : fmt::format(" {}", r.error()))); };
    };
    supervisor::async_count_children(
      sup, [l = log](auto r) { l->push_back(fmt::format("count {}", r->workers)); });
    supervisor::async_get_flags(
      sup, [l = log](auto r) { l->push_back(fmt::format("flags {}", r->strategy)); });
    supervisor::async_get_childspec(sup, "a", [l = log](auto r) { l->push_back("spec " + r->id); });
    supervisor::async_terminate_child(sup, "a", say("terminate a"));
    supervisor::async_restart_child(sup, "a", say("restart a"));
    supervisor::async_terminate_child(sup, "a", say("terminate a"));
    supervisor::async_delete_child(sup, "a", say("delete a"));
    supervisor::async_start_child(sup, worker_spec("b", workers_log), say("start b"));
    supervisor::async_terminate_child(sup, otp::pid{}, say("terminate pid"));
    supervisor::async_get_childspec(sup, "a", say("spec a"));
  }
  std::string handle_call(const ping&) {
    log->push_back("ping");
    return "pong";
  }
};

/// A child whose init takes 2 s (in virtual time): its supervisor is busy meanwhile.
struct slow_starter {
  void init() { otp::sleep(2s); }
};

}  // namespace

TEST_CASE("supervisor operations without waiting: a process stays responsive while asking") {
  otp::test::kit kit;
  auto j = new_journal();
  auto log = new_journal();
  auto sup = supervisor::start_link(kit.node(), {.strategy = otp::strategy::one_for_one},
                                    {worker_spec("a", j)})
               .value();
  auto a = gen_server::start<asker>(kit.node(), sup, log, j).value();
  otp::spawn(kit.node(), [sup] {
    (void)supervisor::start_child(sup, {.id = "slow", .start = otp::start_with<slow_starter>()});
  });
  kit.run();  // the supervisor is now inside slow's init, for 2 s
  auto t0 = kit.now();
  gen_server::cast(a, ask_children{});
  CHECK(gen_server::call(a, ping{}) == "pong");  // answered while the supervisor is busy
  CHECK(kit.now() == t0);
  CHECK(*log == std::vector<std::string>{"ping"});
  kit.advance(2s);
  CHECK(*log == std::vector<std::string>{"ping", "children 2"});

  log->clear();
  gen_server::cast(a, ask_everything{});
  kit.run();
  CAPTURE(fmt::format("{}", fmt::join(*log, " | ")));
  CHECK(*log
        == std::vector<std::string>{"count 2", "flags one_for_one", "spec a", "terminate a ok",
                                    "restart a ok", "terminate a ok", "delete a ok", "start b ok",
                                    "terminate pid supervisor: not_found",
                                    "spec a supervisor: not_found"});
}

namespace {

/// A supervisor module: its size comes from a configuration it reads at each start.
struct pool_sup {
  otp::sup_spec init(std::shared_ptr<int> size, journal j) {
    std::vector<otp::child_spec> workers;
    for (int i = 0; i < *size; ++i)
      workers.push_back(worker_spec(fmt::format("w{}", i), j));
    return {{.strategy = otp::strategy::one_for_one, .intensity = 0}, std::move(workers)};
  }
};

/// OTP's `ignore` from a supervisor's init.
struct maybe_sup {
  std::optional<otp::sup_spec> init(bool wanted) {
    if (!wanted)
      return std::nullopt;
    return otp::sup_spec{{.strategy = otp::strategy::one_for_all}, {}};
  }
};

}  // namespace

TEST_CASE("a supervisor module's init runs in the supervisor, again at each restart") {
  otp::test::kit kit;
  auto j = new_journal();
  auto size = std::make_shared<int>(2);
  auto direct = supervisor::start_link<pool_sup>(kit.node(), size, j).value();
  CHECK(child_ids(direct) == std::vector<std::string>{"w1", "w0"});
  CHECK(supervisor::get_flags(direct).value().intensity == 0);

  auto top = supervisor::start_link(kit.node(), {.strategy = otp::strategy::one_for_one},
                                    {{.id = "pool",
                                      .start = supervisor::start_with<pool_sup>(size, j),
                                      .type = otp::child_type::supervisor}})
               .value();
  auto pool = otp::sup_ref{child_pid(top, "pool")};
  CHECK(child_ids(pool) == std::vector<std::string>{"w1", "w0"});
  *size = 3;  // the configuration changes; a running pool does not see it
  gen_server::cast(otp::server_ref<worker>{child_pid(pool, "w0")}, crash{});
  kit.run();  // pool (intensity 0) gives up; top restarts it, and its init reads the new size
  auto restarted = otp::sup_ref{child_pid(top, "pool")};
  CHECK(otp::pid{restarted} != otp::pid{pool});
  CHECK(child_ids(restarted) == std::vector<std::string>{"w2", "w1", "w0"});

  auto ignored = supervisor::start_link<maybe_sup>(kit.node(), false);
  REQUIRE_FALSE(ignored);
  CHECK(ignored.error().what_kind() == otp::start_error::kind::ignore);
  auto named = supervisor::start_link<maybe_sup>(kit.node(), otp::start_options{.name = "m"}, true);
  REQUIRE(named);
  CHECK(kit.node().whereis("m") == otp::pid{*named});
}
