// Ensure that gen_server's callbacks, start functions and names behave as OTP's do.

#include "servers.hpp"

#include <doctest/doctest.h>

#include <otp/caf.hpp>
#include <otp/gen_server.hpp>
#include <otp/process.hpp>
#include <otp/test/kit.hpp>

#include <caf/send.hpp>

using namespace fixtures;
using otp::exit_reason;
namespace gen_server = otp::gen_server;

namespace {

auto new_log() {
  return std::make_shared<std::vector<std::string>>();
}

// -- init variants ---------------------------------------------------------------------------

struct init_stops {
  otp::init_result init() { return otp::stop(exit_reason::error("no_config")); }
};

struct init_ignores {
  otp::init_result init() { return otp::ignore(); }
};

/// Fails its init after telling its pid, which Erlang would show dead.
struct init_fails_visibly {
  std::shared_ptr<otp::pid> me;
  bool ignore;
  init_fails_visibly(std::shared_ptr<otp::pid> out, bool ignore_it)
    : me(std::move(out)), ignore(ignore_it) {}
  otp::init_result init() {
    *me = otp::self();
    if (ignore)
      return otp::ignore();
    return otp::stop(exit_reason::error("no_config"));
  }
  int handle_call(const get&) { return 0; }
};

struct init_throws {
  void init() { throw std::runtime_error("init boom"); }
};

struct built_by_constructor {
  explicit built_by_constructor(std::string greeting) : greeting_(std::move(greeting)) {}
  std::string handle_call(const get&) { return greeting_; }
  std::string greeting_;
};

/// Records the order of init, handle_continue and the first call.
struct continues {
  std::vector<std::string> seen;
  otp::init_result init() {
    seen.push_back("init");
    return otp::ok(otp::continue_with(std::string{"warm_up"}));
  }
  otp::cast_result handle_continue(const std::string& what) {
    seen.push_back("continue " + what);
    if (what == "warm_up")
      return otp::noreply(otp::continue_with(std::string{"second"}));
    return otp::noreply();
  }
  std::vector<std::string> handle_call(const get&) { return seen; }
  otp::call_result<int> handle_call(const add& a) {
    seen.push_back("call");
    return otp::reply(a.n, otp::continue_with(std::string{"after_reply"}));
  }
};

// -- deferred replies ------------------------------------------------------------------------

struct take {};
struct put {
  int value;
};
struct quit_msg {};

/// A one-slot queue: `take` waits (noreply) until a `put` arrives, which replies to it.
class mailbox_server {
 public:
  using info_types = otp::types<put, quit_msg>;

  otp::call_result<int> handle_call(const take&, otp::from<int> caller) {
    waiting_.push_back(caller);
    return otp::noreply();
  }
  void handle_info(const put& p) {
    for (auto& w : waiting_)
      w.reply(p.value);
    waiting_.clear();
  }
  otp::cast_result handle_info(const quit_msg&) { return otp::stop(exit_reason::error("gone")); }
  otp::call_result<int> handle_call(const stop_now& s, otp::from<int>) {
    return otp::stop(s.reason);
  }

 private:
  std::vector<otp::from<int>> waiting_;
};

// -- trapping exits and links ----------------------------------------------------------------

struct start_child_req {
  bool trap = false;
};

/// A process that starts a linked child on request.
struct parent_server {
  std::shared_ptr<std::vector<std::string>> log = new_log();
  otp::server_ref<counter> child;
  otp::pid handle_call(const start_child_req&) {
    child = gen_server::start_link<counter>(0, log).value();
    return child;
  }
  std::shared_ptr<std::vector<std::string>> handle_call(const get&) { return log; }
};

struct trapping {
  std::shared_ptr<std::vector<std::string>> log;
  void init(std::shared_ptr<std::vector<std::string>> l) {
    log = std::move(l);
    otp::trap_exit(true);
  }
  void handle_info(const otp::exit_signal& e) { log->push_back(fmt::format("{}", e.reason)); }
  void handle_info(const otp::down& d) { log->push_back(fmt::format("down {}", d.reason)); }
  void terminate(const exit_reason& r) { log->push_back(fmt::format("terminate {}", r)); }
  int handle_call(const get&) { return 0; }
};

struct link_to_req {
  otp::pid other;
};
struct monitor_req {
  otp::pid other;
};

struct linker {
  std::shared_ptr<std::vector<std::string>> log;
  void init(std::shared_ptr<std::vector<std::string>> l) { log = std::move(l); }
  int handle_call(const link_to_req& r) {
    otp::link(r.other);
    return 0;
  }
  int handle_call(const monitor_req& r) {
    otp::monitor(r.other);
    return 0;
  }
  void handle_info(const otp::down& d) { log->push_back(fmt::format("down {}", d.reason)); }
  void terminate(const exit_reason& r) { log->push_back(fmt::format("terminate {}", r)); }
};

/// Sends itself a message, then makes a blocking call, all inside init.
struct busy_init {
  using info_types = otp::types<tick>;
  bool initialized = false;
  bool tick_saw_initialized = false;
  void init(otp::server_ref<counter> other) {
    otp::send(otp::self(), tick{});
    gen_server::call(other, get{});  // the node runs other processes meanwhile
    initialized = true;
  }
  void handle_info(const tick&) { tick_saw_initialized = initialized; }
  bool handle_call(const get&) { return tick_saw_initialized; }
};

struct start_monitored_req {};

/// Starts a monitored counter and journals the down it gets.
struct monitoring_parent {
  std::shared_ptr<std::vector<std::string>> log = new_log();
  otp::pid handle_call(const start_monitored_req&) {
    return gen_server::start_monitor<counter>(0, log).value();
  }
  std::shared_ptr<std::vector<std::string>> handle_call(const get&) { return log; }
  void handle_info(const otp::down& d) { log->push_back(fmt::format("down {}", d.reason)); }
};

/// Takes whatever raw CAF messages arrive, through the catch-all clause.
struct raw_receiver {
  std::vector<std::string> seen;
  void handle_info(const caf::message& m) { seen.push_back(caf::to_string(m)); }
  std::vector<std::string> handle_call(const get&) { return seen; }
};

}  // namespace

TEST_CASE("a server answers calls, casts and infos in order") {
  otp::test::kit kit;
  auto log = new_log();
  auto c = gen_server::start<counter>(kit.node(), 10, log).value();
  CHECK(gen_server::call(c, get{}) == 10);
  CHECK(gen_server::call(c, add{5}) == 15);
  gen_server::cast(c, add{1});
  otp::send(c, tick{});
  CHECK(gen_server::call(c, get{}) == 116);
  CHECK(kit.logs("unexpected_message").empty());
}

TEST_CASE("start returns only after init, with init's failure as the error") {
  otp::test::kit kit;
  auto stopped = gen_server::start<init_stops>(kit.node());
  REQUIRE_FALSE(stopped);
  CHECK(stopped.error().what_kind() == otp::start_error::kind::init_failed);
  CHECK(stopped.error().reason() == exit_reason::error("no_config"));

  auto ignored = gen_server::start<init_ignores>(kit.node());
  REQUIRE_FALSE(ignored);
  CHECK(ignored.error().what_kind() == otp::start_error::kind::ignore);

  auto threw = gen_server::start<init_throws>(kit.node());
  REQUIRE_FALSE(threw);
  CHECK(threw.error().reason() == exit_reason::exception("init boom"));
  CHECK(kit.node().process_count() == 0);
}

TEST_CASE("a server whose init returned ignore or stop is gone, and its monitors fire at once") {
  otp::test::kit kit;
  for (bool ignore : {true, false}) {
    CAPTURE(ignore);
    auto me = std::make_shared<otp::pid>();
    REQUIRE_FALSE(gen_server::start<init_fails_visibly>(kit.node(), me, ignore));
    REQUIRE(*me);
    CHECK_FALSE(kit.alive(*me));
    auto t0 = kit.now();
    auto probe = kit.make_probe();
    probe.monitor(*me);
    auto d = probe.expect<otp::down>();
    CHECK(d.pid == *me);
    CHECK(d.reason == (ignore ? exit_reason::normal() : exit_reason::error("no_config")));
    otp::send(*me, 1);  // dropped
    auto r = gen_server::try_call(otp::server_ref<init_fails_visibly>{*me}, get{});
    REQUIRE_FALSE(r);
    CHECK(r.error().what_kind() == otp::call_error::kind::noproc);
    CHECK(kit.now() == t0);  // at once, not at the call's timeout
  }
  CHECK(kit.node().process_count() == 0);
}

TEST_CASE("messages that arrive during init wait until init has returned") {
  otp::test::kit kit;
  auto other = gen_server::start<counter>(kit.node(), 0, new_log()).value();
  auto s = gen_server::start<busy_init>(kit.node(), other).value();
  CHECK(gen_server::call(s, get{}));
}

TEST_CASE("a server without init is built from the start arguments") {
  otp::test::kit kit;
  auto s = gen_server::start<built_by_constructor>(kit.node(), std::string{"hello"}).value();
  CHECK(gen_server::call(s, get{}) == "hello");
}

/// A user's server with members named like the hooks of the library's special processes
/// (supervisor, listener, net_kernel): they are its own members, which the library never calls.
struct hook_named_members {
  std::shared_ptr<std::vector<std::string>> log;
  explicit hook_named_members(std::shared_ptr<std::vector<std::string>> l) : log(std::move(l)) {}
  int handle_call(const get&) { return 0; }
  bool defer_stop(const exit_reason&) {
    log->push_back("defer_stop");
    return false;
  }
  template <class Process>
  void exiting(Process&, const exit_reason&) {
    log->push_back("exiting");
  }
  void terminate(const exit_reason&) { log->push_back("terminate"); }
};

TEST_CASE("a member named like a special process's hook is the user's own, never a hook") {
  otp::test::kit kit;
  auto log = new_log();
  auto s = gen_server::start<hook_named_members>(kit.node(), log).value();
  CHECK(gen_server::call(s, get{}) == 0);
  REQUIRE(gen_server::stop(s, exit_reason::shutdown()));
  CHECK(*log == std::vector<std::string>{"terminate"});
  auto killed = gen_server::start<hook_named_members>(kit.node(), log).value();
  log->clear();
  otp::exit(killed, exit_reason::kill());
  kit.wait_exit(killed);
  CHECK(log->empty());
}

TEST_CASE("handle_continue runs right after init and after a reply, before other messages") {
  otp::test::kit kit;
  auto s = gen_server::start<continues>(kit.node()).value();
  CHECK(gen_server::call(s, add{7}) == 7);
  auto seen = gen_server::call(s, get{});
  CHECK(seen
        == std::vector<std::string>{"init", "continue warm_up", "continue second", "call",
                                    "continue after_reply"});
}

TEST_CASE("a registered name is unique, found by whereis, and freed at exit") {
  otp::test::kit kit;
  auto log = new_log();
  auto first =
    gen_server::start<counter>(kit.node(), otp::start_options{.name = "counter"}, 1, log);
  REQUIRE(first);
  auto second =
    gen_server::start<counter>(kit.node(), otp::start_options{.name = "counter"}, 2, log);
  REQUIRE_FALSE(second);
  CHECK(second.error().what_kind() == otp::start_error::kind::already_started);
  CHECK(second.error().existing() == *first);
  CHECK(kit.node().registered() == std::vector<std::string>{"counter"});

  auto found = gen_server::whereis<counter>(kit.node(), "counter");
  REQUIRE(found);
  CHECK(gen_server::call(*found, get{}) == 1);

  REQUIRE(gen_server::stop(*first));
  CHECK_FALSE(kit.node().whereis("counter"));
  CHECK(gen_server::start<counter>(kit.node(), otp::start_options{.name = "counter"}, 3, log));
}

TEST_CASE("deferred replies: noreply now, reply later from another callback") {
  otp::test::kit kit;
  auto q = gen_server::start<mailbox_server>(kit.node()).value();
  // The put arrives 100 ms (virtual) after the call started waiting.
  otp::send_after(std::chrono::milliseconds{100}, q, put{42});
  CHECK(gen_server::call(q, take{}) == 42);
  CHECK(kit.now() >= std::chrono::milliseconds{100});
}

TEST_CASE("a server that exits while holding a deferred reply fails the caller at once") {
  otp::test::kit kit;
  auto q = gen_server::start<mailbox_server>(kit.node()).value();
  otp::send_after(std::chrono::milliseconds{100}, q, quit_msg{});
  auto r = gen_server::try_call(q, take{});
  REQUIRE_FALSE(r);
  CHECK(r.error().what_kind() == otp::call_error::kind::exited);
  CHECK(r.error().reason() == exit_reason::error("gone"));
  CHECK(kit.now() < std::chrono::seconds{1});  // not at the 5 s call timeout
}

TEST_CASE("stop with a reply terminates with the reason, then answers the caller") {
  otp::test::kit kit;
  auto log = new_log();
  auto c = gen_server::start<counter>(kit.node(), 5, log).value();
  CHECK(gen_server::call(c, stop_now{exit_reason::shutdown("done")}) == 5);
  CHECK(kit.wait_exit(c) == exit_reason::shutdown("done"));
  CHECK(*log == std::vector<std::string>{"terminate {shutdown,done}"});
  CHECK(kit.logs("crash_report").empty());
}

namespace {

struct stop_replying {};

/// Stops with a reply from a handler that takes `from`; its terminate waits a while.
struct slow_to_stop {
  std::shared_ptr<std::vector<std::string>> log;
  explicit slow_to_stop(std::shared_ptr<std::vector<std::string>> out) : log(std::move(out)) {}
  otp::call_result<int> handle_call(const stop_replying&, otp::from<int>) {
    return otp::stop(exit_reason::normal(), 7);
  }
  void terminate(const exit_reason&) {
    otp::sleep(std::chrono::milliseconds{50});
    log->push_back("terminated");
  }
};

}  // namespace

TEST_CASE("stop with a reply, from a handler taking from: the caller hears after terminate") {
  // As OTP's {stop, Reason, Reply, State}: terminate runs, then the reply goes out.
  otp::node node{otp::node_options{.threads = 2}};
  auto log = new_log();
  auto s = gen_server::start<slow_to_stop>(node, log).value();
  CHECK(gen_server::call(s, stop_replying{}) == 7);
  CHECK(*log == std::vector<std::string>{"terminated"});
}

TEST_CASE("an exception in a callback calls terminate and writes one crash report") {
  otp::test::kit kit;
  auto log = new_log();
  auto c =
    gen_server::start<counter>(kit.node(), otp::start_options{.name = "crashy"}, 5, log).value();
  gen_server::cast(c, crash{});
  CHECK(kit.wait_exit(c) == exit_reason::exception("cast boom"));
  CHECK(*log == std::vector<std::string>{"terminate {exception,cast boom}"});
  auto reports = kit.logs("crash_report");
  REQUIRE(reports.size() == 1);
  CHECK(reports[0].level == otp::log_level::error);
  CHECK(reports[0].field("name") == "crashy");
  CHECK(reports[0].field("reason") == "{exception,cast boom}");
  CHECK(reports[0].field("last_message") == "{'$gen_cast',fixtures::crash}");
  CHECK(reports[0].field("state") == "value=5 ticks=0");
  CHECK(reports[0].text.find("** Generic server crashy terminating") != std::string::npos);
}

TEST_CASE("gen_server::stop runs terminate with the given reason and waits for the exit") {
  otp::test::kit kit;
  auto log = new_log();
  auto c = gen_server::start<counter>(kit.node(), 0, log).value();
  REQUIRE(gen_server::stop(c, exit_reason::shutdown()));
  CHECK_FALSE(kit.alive(c));
  CHECK(*log == std::vector<std::string>{"terminate shutdown"});
  auto again = gen_server::stop(c);
  REQUIRE_FALSE(again);
  CHECK(again.error().what_kind() == otp::call_error::kind::noproc);
}

TEST_CASE("start_link from a process links the child to it") {
  otp::test::kit kit;
  auto p = gen_server::start<parent_server>(kit.node()).value();
  auto child = gen_server::call(p, start_child_req{});
  auto child_log = gen_server::call(p, get{});
  // The parent does not trap exits: the child's crash takes it down with the same reason.
  gen_server::cast(otp::server_ref<counter>{child}, crash{});
  CHECK(kit.wait_exit(child) == exit_reason::exception("cast boom"));
  CHECK(kit.wait_exit(p) == exit_reason::exception("cast boom"));
}

TEST_CASE("a trapping server gets exit signals in handle_info, its parent's exit terminates it") {
  otp::test::kit kit;
  auto log = new_log();
  auto l = gen_server::start<linker>(kit.node(), new_log()).value();
  auto t = gen_server::start<trapping>(kit.node(), log).value();
  gen_server::call(l, link_to_req{t});
  otp::exit(l, exit_reason::error("bye"));
  CHECK(kit.wait_exit(l) == exit_reason::error("bye"));
  kit.run();
  CHECK(kit.alive(t));
  CHECK(*log == std::vector<std::string>{"bye"});
}

TEST_CASE("a non-trapping server ignores a normal exit signal and dies of any other") {
  otp::test::kit kit;
  auto c = gen_server::start<counter>(kit.node(), 0, new_log()).value();
  otp::exit(c, exit_reason::normal());
  kit.run();
  CHECK(kit.alive(c));
  otp::exit(c, exit_reason::error("bad"));
  CHECK(kit.wait_exit(c) == exit_reason::error("bad"));
}

TEST_CASE("kill cannot be trapped and others see killed") {
  otp::test::kit kit;
  auto log = new_log();
  auto t = gen_server::start<trapping>(kit.node(), log).value();
  auto probe = kit.make_probe();
  probe.monitor(t);
  otp::exit(t, exit_reason::kill());
  auto d = probe.expect<otp::down>();
  CHECK(d.pid == t);
  CHECK(d.reason == exit_reason::killed());
  CHECK(log->empty());  // no terminate, no handle_info
}

TEST_CASE("a killed process's trapping link survives and sees killed, as in Erlang") {
  otp::test::kit kit;
  auto log = new_log();
  auto t = gen_server::start<trapping>(kit.node(), log).value();
  auto victim = gen_server::start<linker>(kit.node(), new_log()).value();
  gen_server::call(victim, link_to_req{t});
  otp::exit(victim, exit_reason::kill());
  CHECK(kit.wait_exit(victim) == exit_reason::killed());
  kit.run();
  CHECK(kit.alive(t));
  CHECK(*log == std::vector<std::string>{"killed"});
}

TEST_CASE("monitor delivers down with the exit reason, start_monitor monitors from the start") {
  otp::test::kit kit;
  auto log = new_log();
  auto watcher = gen_server::start<linker>(kit.node(), log).value();
  auto c = gen_server::start<counter>(kit.node(), 0, new_log()).value();
  gen_server::call(watcher, monitor_req{c});
  gen_server::stop(c, exit_reason::shutdown("x"));
  kit.run();
  CHECK(*log == std::vector<std::string>{"down {shutdown,x}"});
}

TEST_CASE("start_monitor: the calling process monitors the new server") {
  otp::test::kit kit;
  auto p = gen_server::start<monitoring_parent>(kit.node()).value();
  auto child = otp::server_ref<counter>{gen_server::call(p, start_monitored_req{})};
  auto log = gen_server::call(p, get{});
  REQUIRE(gen_server::stop(child, exit_reason::shutdown("bye")));
  kit.run();
  CHECK(log->back() == "down {shutdown,bye}");
  CHECK(kit.alive(p));  // monitored, not linked
  CHECK_THROWS_AS(gen_server::start_monitor<counter>(kit.node(), 0, log), std::logic_error);
}

TEST_CASE("plain CAF messages reach a catch-all handle_info") {
  otp::test::kit kit;
  auto s = gen_server::start<raw_receiver>(kit.node()).value();
  caf::anon_send(otp::to_actor(s), 42, std::string{"x"});
  CHECK(gen_server::call(s, get{}) == std::vector<std::string>{"(42, \"x\")"});
}

TEST_CASE("a call with an infinite timeout waits as long as the reply takes") {
  otp::test::kit kit;
  auto q = gen_server::start<mailbox_server>(kit.node()).value();
  otp::send_after(std::chrono::hours{2}, q, put{7});
  CHECK(gen_server::call(q, take{}, otp::infinity) == 7);
  CHECK(kit.now() == std::chrono::hours{2});
}

TEST_CASE("an info message without a clause is logged, not fatal") {
  otp::test::kit kit;
  auto c = gen_server::start<counter>(kit.node(), 0, new_log()).value();
  // To the plain pid: to the server_ref, a message counter cannot take does not compile.
  otp::send(otp::pid{c}, std::string{"stray"});
  CHECK(gen_server::call(c, get{}) == 0);
  auto logs = kit.logs("unexpected_message");
  REQUIRE(logs.size() == 1);
  CHECK(logs[0].text.ends_with("received an unexpected message: (stray)"));
}

/// A message type with no printing and no place in counter's info_types.
struct unlisted_note {
  int n = 0;
};

TEST_CASE("an info message of a type not in info_types is logged with its type's name") {
  otp::test::kit kit;
  auto c = gen_server::start<counter>(kit.node(), 0, new_log()).value();
  otp::send(otp::pid{c}, unlisted_note{});
  CHECK(gen_server::call(c, get{}) == 0);
  auto logs = kit.logs("unexpected_message");
  REQUIRE(logs.size() == 1);
  CHECK_MESSAGE(logs[0].text.find("unlisted_note") != std::string::npos, logs[0].text);
  CHECK(logs[0].text.find("unprintable") == std::string::npos);
}

TEST_CASE("a send_after message of a type not in info_types is logged as the message alone") {
  // Ensure that a timer's message is reported as what it delivers, as if it had just been sent:
  // its type's name, none of the timer's own fields.
  otp::test::kit kit;
  auto c = gen_server::start<counter>(kit.node(), 0, new_log()).value();
  otp::send_after(std::chrono::milliseconds{10}, otp::pid{c}, unlisted_note{});
  kit.advance(std::chrono::milliseconds{10});
  CHECK(gen_server::call(c, get{}) == 0);
  auto logs = kit.logs("unexpected_message");
  REQUIRE(logs.size() == 1);
  CHECK_MESSAGE(logs[0].text.find("unlisted_note") != std::string::npos, logs[0].text);
  CHECK_MESSAGE(logs[0].text.find("unprintable") == std::string::npos, logs[0].text);
  CHECK_MESSAGE(logs[0].text.find("otp_timer") == std::string::npos, logs[0].text);
}
