// Ensure that a process that waits — in a call, a stop, a supervisor request, its children's
// init — parks itself and frees its thread: chains of calls on one thread, ten thousand waiting
// callers on two, waits killed by exit signals, waits in virtual time.

#include "eventually.hpp"
#include "servers.hpp"

#include <doctest/doctest.h>

#include <otp/gen_server.hpp>
#include <otp/node.hpp>
#include <otp/process.hpp>
#include <otp/spawn.hpp>
#include <otp/supervisor.hpp>
#include <otp/sys.hpp>
#include <otp/test/kit.hpp>
#include "process/server_core.hpp"

#include <fmt/format.h>

#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <sys/syscall.h>
#include <unistd.h>

using namespace std::chrono_literals;
namespace gen_server = otp::gen_server;
namespace supervisor = otp::supervisor;
using fixtures::answer_later;
using fixtures::get_answer;
using fixtures::how_many;
using fixtures::release_all;

namespace {

otp::node_options threads(std::size_t n) {
  return {.threads = n, .log = otp::log_level::none};
}

// -- a chain: each link calls the next from inside its handle_call -----------------------------

struct ask {
  int depth;
};

struct link_server {
  std::vector<otp::server_ref<link_server>> rest;
  explicit link_server(std::vector<otp::server_ref<link_server>> next) : rest(std::move(next)) {}
  int handle_call(const ask& a) {
    if (rest.empty())
      return a.depth;
    auto next = rest.front();
    return gen_server::call(next, ask{a.depth + 1}, 2s);
  }
};

/// A chain of `n` servers, the first one calling the second and so on.
otp::server_ref<link_server> chain(otp::node& node, int n) {
  std::vector<otp::server_ref<link_server>> servers;
  for (int i = 0; i < n; ++i) {
    std::vector<otp::server_ref<link_server>> next;
    if (!servers.empty())
      next.push_back(servers.back());
    servers.push_back(gen_server::start<link_server>(node, std::move(next)).value());
  }
  return servers.back();
}

}  // namespace

TEST_CASE("waiting: a chain of calls 5 deep on a node with one scheduler thread") {
  otp::node node{threads(1)};
  auto head = chain(node, 5);
  for (int i = 0; i < 100; ++i)
    REQUIRE(gen_server::call(head, ask{1}, 2s) == 5);
}

TEST_CASE("waiting: two threads calling chains on a 2-thread node, every call answered") {
  otp::node node{threads(2)};
  std::atomic<int> answered{0};
  std::vector<std::thread> callers;
  for (int t = 0; t < 2; ++t)
    callers.emplace_back([&] {
      auto head = chain(node, 3);
      for (int i = 0; i < 20; ++i)
        if (gen_server::try_call(head, ask{1}, 2s).value_or(0) == 3)
          ++answered;
    });
  for (auto& c : callers)
    c.join();
  CHECK(answered == 40);
}

namespace {

// -- 10,000 callers parked on one slow server ---------------------------------------------------

struct go {};

/// Calls the slow server as soon as it is told to go, and counts the answer.
struct waiting_caller {
  otp::server_ref<answer_later> server;
  std::shared_ptr<std::atomic<int>> answers;
  void handle_cast(const go&) {
    if (gen_server::call(server, get_answer{}, otp::infinity) == 42)
      ++*answers;
  }
};

}  // namespace

TEST_CASE("waiting: 10,000 processes blocked in a call to one slow server on 2 threads") {
  otp::node node{threads(2)};
  auto server = gen_server::start<answer_later>(node).value();
  auto answers = std::make_shared<std::atomic<int>>(0);
  std::vector<otp::server_ref<waiting_caller>> callers;
  for (int i = 0; i < 10'000; ++i) {
    callers.push_back(gen_server::start<waiting_caller>(node, server, answers).value());
    gen_server::cast(callers.back(), go{});
  }
  // All of them wait at once: the threads are free, or the server could not count them.
  CHECK(
    test_util::eventually([&] { return gen_server::call(server, how_many{}) == 10'000u; }, 30s));
  CHECK(gen_server::call(server, release_all{}) == 10'000u);
  CHECK(test_util::eventually([&] { return answers->load() == 10'000; }, 30s));
}

namespace {

// -- a supervisor whose children's init call a registry ------------------------------------------

struct register_me {
  std::string name;
};

struct registry {
  std::set<std::string> names;
  bool handle_call(const register_me& r) { return names.insert(r.name).second; }
  std::size_t handle_call(const int&) { return names.size(); }
};

struct registered_worker {
  otp::init_result init(std::string name) {
    auto r = gen_server::whereis<registry>(otp::this_node(), "registry").value();
    if (!gen_server::call(r, register_me{std::move(name)}, 2s))
      return otp::stop(otp::exit_reason::error("taken"));
    return otp::ok();
  }
};

}  // namespace

TEST_CASE("waiting: on one thread, a supervisor's children call a registry from their init") {
  otp::node node{threads(1)};
  auto reg = gen_server::start<registry>(node, otp::start_options{.name = "registry"}).value();
  std::vector<otp::child_spec> children;
  for (int i = 0; i < 20; ++i) {
    // Appended, not "w" + to_string(i): GCC 12 at -O3 reports a bogus -Wrestrict overlap in
    // operator+(const char*, string&&) (GCC bug 105329).
    std::string id = "w";
    id += std::to_string(i);
    children.push_back({.id = id, .start = otp::start_with<registered_worker>(id)});
  }
  auto sup = supervisor::start_link(node, {}, std::move(children));
  REQUIRE(sup);
  CHECK(gen_server::call(reg, 0) == 20u);
  // A dynamic child started through the supervisor from a plain thread does the same.
  CHECK(supervisor::start_child(
    *sup, {.id = "late", .start = otp::start_with<registered_worker>(std::string{"late"})}));
  CHECK(gen_server::call(reg, 0) == 21u);
  REQUIRE(gen_server::stop(*sup));
}

namespace {

// -- killed while waiting ----------------------------------------------------------------------

struct wait_forever {};
struct trap_now {};

/// Counts its destructors: a stack that is unwound runs them.
struct witness {
  std::shared_ptr<std::atomic<int>> destroyed;
  ~witness() { ++*destroyed; }
};

struct doomed {
  otp::server_ref<answer_later> target;  // never released: it never answers
  std::shared_ptr<std::atomic<int>> destroyed;
  std::shared_ptr<std::atomic<bool>> waiting;
  bool trapping = false;
  void init() { otp::trap_exit(trapping); }
  void handle_cast(const trap_now&) { otp::trap_exit(true); }
  void handle_cast(const wait_forever&) {
    witness w{destroyed};
    *waiting = true;
    (void)gen_server::try_call(target, get_answer{}, otp::infinity);
    *waiting = false;  // not reached when killed
  }
  void terminate(const otp::exit_reason&) { ++*destroyed; }  // not run when killed
};

}  // namespace

TEST_CASE("waiting: a process killed while it waits exits killed at once, its stack unwound") {
  otp::node node{threads(2)};
  auto hole = gen_server::start<answer_later>(node).value();
  for (bool trapping : {false, true}) {
    CAPTURE(trapping);
    auto destroyed = std::make_shared<std::atomic<int>>(0);
    auto waiting = std::make_shared<std::atomic<bool>>(false);
    auto p = gen_server::start<doomed>(node, hole, destroyed, waiting, trapping).value();
    gen_server::cast(p, wait_forever{});
    REQUIRE(test_util::eventually([&] { return waiting->load(); }));
    auto t0 = std::chrono::steady_clock::now();
    otp::exit(p, otp::exit_reason::kill());
    REQUIRE(test_util::eventually([&] { return destroyed->load() == 1; }, 5s));
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);
    CHECK(waiting->load());  // the code after the call never ran
    CHECK(test_util::eventually([&] { return !gen_server::stop(p).has_value(); }));  // gone
  }
}

TEST_CASE("waiting: an untrapped exit signal ends a wait with its reason, a trapped one waits") {
  otp::test::kit kit;
  auto hole = gen_server::start<answer_later>(kit.node()).value();
  auto destroyed = std::make_shared<std::atomic<int>>(0);
  auto waiting = std::make_shared<std::atomic<bool>>(false);
  auto plain = gen_server::start<doomed>(kit.node(), hole, destroyed, waiting, false).value();
  auto trapper = gen_server::start<doomed>(kit.node(), hole, destroyed, waiting, true).value();
  auto probe = kit.make_probe();
  probe.monitor(plain);
  probe.monitor(trapper);
  gen_server::cast(plain, wait_forever{});
  gen_server::cast(trapper, wait_forever{});
  kit.run();
  otp::exit(plain, otp::exit_reason::error("bye"));
  otp::exit(trapper, otp::exit_reason::error("bye"));
  auto down = probe.expect<otp::down>();
  CHECK(down.pid == otp::pid{plain});
  CHECK(down.reason == otp::exit_reason::error("bye"));
  CHECK(*destroyed == 1);  // plain's witness; no terminate
  kit.advance(10s);
  CHECK(kit.alive(trapper));  // still waiting: the signal is a message for later
  otp::exit(trapper, otp::exit_reason::kill());
  CHECK(probe.expect<otp::down>().reason == otp::exit_reason::killed());
}

namespace {

/// Sends itself an exit signal, then waits: the signal came before the wait did.
struct self_doomed {
  otp::server_ref<answer_later> target;
  std::shared_ptr<std::atomic<int>> destroyed;
  std::shared_ptr<std::atomic<bool>> waited_on;
  otp::exit_reason reason;
  void handle_cast(const wait_forever&) {
    witness w{destroyed};
    otp::exit(otp::self(), reason);
    (void)gen_server::try_call(target, get_answer{}, otp::infinity);
    *waited_on = true;  // not reached: the wait ends with the signal
  }
};

}  // namespace

TEST_CASE("waiting: an exit signal that arrives before the wait ends the wait at once") {
  for (auto reason : {otp::exit_reason::error("bye"), otp::exit_reason::kill()}) {
    CAPTURE(reason);
    otp::test::kit kit;
    auto hole = gen_server::start<answer_later>(kit.node()).value();
    auto destroyed = std::make_shared<std::atomic<int>>(0);
    auto waited_on = std::make_shared<std::atomic<bool>>(false);
    auto p = gen_server::start<self_doomed>(kit.node(), hole, destroyed, waited_on, reason).value();
    auto probe = kit.make_probe();
    probe.monitor(p);
    gen_server::cast(p, wait_forever{});
    kit.run();
    auto down = probe.expect<otp::down>();
    CHECK(down.reason
          == (reason == otp::exit_reason::kill() ? otp::exit_reason::killed() : reason));
    CHECK(*destroyed == 1);
    CHECK_FALSE(waited_on->load());
  }
}

TEST_CASE("waiting: a signal that comes before trap_exit is set, and is trapped, ends no wait") {
  otp::test::kit kit;
  auto hole = gen_server::start<answer_later>(kit.node()).value();
  auto destroyed = std::make_shared<std::atomic<int>>(0);
  auto waiting = std::make_shared<std::atomic<bool>>(false);
  auto trapper = gen_server::start<doomed>(kit.node(), hole, destroyed, waiting, false).value();
  auto probe = kit.make_probe();
  probe.monitor(trapper);
  // One turn of another process queues all three: the signal arrives while the process does
  // not trap yet, and it traps by the time it handles the signal.
  otp::spawn(kit.node(), [trapper] {
    gen_server::cast(trapper, trap_now{});
    otp::exit(trapper, otp::exit_reason::error("early"));
    gen_server::cast(trapper, wait_forever{});
  });
  kit.run();
  kit.advance(10s);
  CHECK(kit.alive(trapper));
  CHECK(waiting->load());
  otp::exit(trapper, otp::exit_reason::kill());
  CHECK(probe.expect<otp::down>().reason == otp::exit_reason::killed());
}

namespace {

// -- virtual time, order, thread-locals ----------------------------------------------------------

struct slow_reply {
  otp::timeout after;
};
struct delayed {
  std::vector<otp::from<int>> parked;
  using info_types = otp::types<int>;
  otp::call_result<int> handle_call(const slow_reply& s, otp::from<int> caller) {
    parked.push_back(std::move(caller));
    otp::send_after(s.after, otp::self(), 0);
    return otp::noreply();
  }
  void handle_info(int) {
    parked.front().reply(7);
    parked.erase(parked.begin());
  }
};

struct call_with_timeout {
  otp::server_ref<delayed> target;
  otp::timeout reply_after;
  otp::timeout limit;
};
struct note {
  int n;
};

/// Calls from its callback; records what it handled, in order.
struct recorder {
  std::vector<std::string> seen;
  std::string handle_call(const call_with_timeout& c) {
    auto r = gen_server::try_call(c.target, slow_reply{c.reply_after}, c.limit);
    auto text = r ? "reply " + std::to_string(*r) : "error " + fmt::format("{}", r.error());
    seen.push_back(text);
    return text;
  }
  void handle_cast(const note& n) { seen.push_back("note " + std::to_string(n.n)); }
  void handle_cast(const call_with_timeout& c) { (void)handle_call(c); }
  std::vector<std::string> handle_call(const int&) { return seen; }
};

}  // namespace

TEST_CASE("waiting: calls from callbacks run in virtual time under the test kit") {
  otp::test::kit kit;
  auto target = gen_server::start<delayed>(kit.node()).value();
  auto r = gen_server::start<recorder>(kit.node()).value();
  auto t0 = kit.now();
  CHECK(gen_server::call(r, call_with_timeout{target, 3s, 5s}, 10s) == "reply 7");
  CHECK(kit.now() - t0 == 3s);
  t0 = kit.now();
  CHECK(gen_server::call(r, call_with_timeout{target, 30s, 5s}, 10s)
        == "error call failed: timeout");
  CHECK(kit.now() - t0 == 5s);
}

TEST_CASE("waiting: messages that arrive during a wait are handled after it, in order") {
  otp::test::kit kit;
  auto target = gen_server::start<delayed>(kit.node()).value();
  auto r = gen_server::start<recorder>(kit.node()).value();
  gen_server::cast(r, note{0});
  gen_server::cast(r, call_with_timeout{target, 2s, 5s});  // parks the recorder for 2 s
  kit.run();
  gen_server::cast(r, note{1});
  gen_server::cast(r, note{2});
  kit.run();
  CHECK(gen_server::try_call(r, 0, 1s).error().what_kind() == otp::call_error::kind::timeout);
  kit.advance(2s);
  CHECK(gen_server::call(r, 0)
        == std::vector<std::string>{"note 0", "reply 7", "note 1", "note 2"});
}

namespace {

struct where {
  long before = 0;
  long after = 0;
  bool self_right = false;
};

/// The kernel's id of the calling thread. (Not std::this_thread::get_id(): pthread_self is
/// declared const, so the compiler may read it once for both sides of the call.)
long thread_id() {
  return ::syscall(SYS_gettid);
}

struct hopper {
  otp::server_ref<answer_later> server;
  where handle_call(const go&) {
    where w;
    w.before = thread_id();
    auto me = otp::self();
    (void)gen_server::call(server, get_answer{}, 5s);
    w.after = thread_id();
    w.self_right = otp::self() == me && otp::detail::server_core::current() != nullptr;
    return w;
  }
};

}  // namespace

TEST_CASE("waiting: a process resumed on another thread sees its own thread-locals") {
  otp::node node{threads(2)};
  auto server = gen_server::start<answer_later>(node).value();
  bool moved = false;
  for (int i = 0; i < 500 && !moved; ++i) {
    auto h = gen_server::start<hopper>(node, server).value();
    std::optional<where> w;
    std::thread caller{[&] { w = gen_server::call(h, go{}, 10s); }};
    REQUIRE(test_util::eventually([&] { return gen_server::call(server, how_many{}) == 1u; }));
    // Shift the scheduler's round robin, so the wake lands on either thread.
    for (int k = 0; k < i % 3; ++k)
      (void)gen_server::call(server, how_many{});
    REQUIRE(gen_server::call(server, release_all{}) == 1u);
    caller.join();
    REQUIRE(w);
    CHECK(w->self_right);
    moved = w->before != w->after;
    REQUIRE(gen_server::stop(h));
  }
  CHECK(moved);
}

// -- the exception state of a waiting process ---------------------------------------------------
// The C++ runtime keeps the exceptions being handled, and the count of those in flight, per
// thread. A process that waits inside a `catch`, or in a destructor run by an exception, must
// take its own with it, and leave the thread's to the processes that run there meanwhile.

namespace {

struct catch_and_wait {
  std::string what;
};
struct unwind_and_wait {};
struct count_in_flight {};

std::string what_is_handled() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "?";
  }
}

/// Waits on `server` from inside a catch block, or in a destructor run by a throw.
struct waits_in_handler {
  otp::server_ref<answer_later> server;

  std::string handle_call(const catch_and_wait& c) {
    try {
      throw std::runtime_error(c.what);
    } catch (const std::exception&) {
      auto before = what_is_handled();
      (void)gen_server::call(server, get_answer{}, 10s);
      return fmt::format("{} {} {}", before, what_is_handled(),
                         std::current_exception() ? "current" : "none");
    }
  }

  struct wait_on_unwind {
    otp::server_ref<answer_later> server;
    std::string* seen;
    ~wait_on_unwind() {
      auto before = std::uncaught_exceptions();
      (void)gen_server::call(server, get_answer{}, 10s);
      *seen = fmt::format("{} {}", before, std::uncaught_exceptions());
    }
  };

  std::string handle_call(const unwind_and_wait&) {
    std::string seen;
    try {
      wait_on_unwind w{server, &seen};
      throw std::runtime_error("unwinding");
    } catch (const std::exception& e) {
      return fmt::format("{} caught {} after {}", seen, e.what(), std::uncaught_exceptions());
    }
  }

  int handle_call(const count_in_flight&) {
    return std::uncaught_exceptions() + (std::current_exception() ? 100 : 0);
  }
};

}  // namespace

TEST_CASE("waiting: processes that wait inside catch blocks each keep their own exception") {
  otp::node node{threads(1)};
  auto server = gen_server::start<answer_later>(node).value();
  auto a = gen_server::start<waits_in_handler>(node, server).value();
  auto b = gen_server::start<waits_in_handler>(node, server).value();
  std::string got_a, got_b;
  std::thread call_a{[&] { got_a = gen_server::call(a, catch_and_wait{"alpha"}, 10s); }};
  REQUIRE(test_util::eventually([&] { return gen_server::call(server, how_many{}) == 1u; }));
  std::thread call_b{[&] { got_b = gen_server::call(b, catch_and_wait{"beta"}, 10s); }};
  REQUIRE(test_util::eventually([&] { return gen_server::call(server, how_many{}) == 2u; }));
  // While both wait in their handlers, a third process on the same thread handles none.
  auto other = gen_server::start<waits_in_handler>(node, server).value();
  CHECK(gen_server::call(other, count_in_flight{}, 1s) == 0);
  REQUIRE(gen_server::call(server, release_all{}) == 2u);  // answers a first, then b
  call_a.join();
  call_b.join();
  CHECK(got_a == "alpha alpha current");
  CHECK(got_b == "beta beta current");
}

TEST_CASE("waiting: a process that waits in a destructor during unwinding keeps its count") {
  otp::node node{threads(1)};
  auto server = gen_server::start<answer_later>(node).value();
  auto a = gen_server::start<waits_in_handler>(node, server).value();
  auto other = gen_server::start<waits_in_handler>(node, server).value();
  std::string got;
  std::thread caller{[&] { got = gen_server::call(a, unwind_and_wait{}, 10s); }};
  REQUIRE(test_util::eventually([&] { return gen_server::call(server, how_many{}) == 1u; }));
  // The thread the waiting process left runs others with no exception in flight.
  CHECK(gen_server::call(other, count_in_flight{}, 1s) == 0);
  REQUIRE(gen_server::call(server, release_all{}) == 1u);
  caller.join();
  CHECK(got == "1 1 caught unwinding after 0");
  CHECK(gen_server::call(other, count_in_flight{}, 1s) == 0);
}

TEST_CASE("waiting: a process that waits in a catch block and moves thread keeps its exception") {
  otp::node node{threads(2)};
  auto server = gen_server::start<answer_later>(node).value();
  auto a = gen_server::start<waits_in_handler>(node, server).value();
  auto other = gen_server::start<waits_in_handler>(node, server).value();
  for (int i = 0; i < 200; ++i) {
    std::string got;
    auto what = fmt::format("round {}", i);
    std::thread caller{[&] { got = gen_server::call(a, catch_and_wait{what}, 10s); }};
    REQUIRE(test_util::eventually([&] { return gen_server::call(server, how_many{}) == 1u; }));
    for (int k = 0; k < i % 3; ++k)  // shift the round robin, so the wake lands on either thread
      CHECK(gen_server::call(other, count_in_flight{}, 1s) == 0);
    REQUIRE(gen_server::call(server, release_all{}) == 1u);
    caller.join();
    REQUIRE(got == fmt::format("{0} {0} current", what));
  }
}
