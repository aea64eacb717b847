// Ensure that servers work on the real multi-threaded scheduler: calls from plain threads,
// from other servers, deferred replies from other threads, real timeouts, node shutdown.

#include "eventually.hpp"
#include "runtime/lean_clock.hpp"
#include "servers.hpp"

#include <doctest/doctest.h>

#include <otp/caf.hpp>
#include <otp/detail/boxed_message.hpp>
#include <otp/gen_server.hpp>
#include <otp/node.hpp>
#include <otp/process.hpp>
#include "process/server_core.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/logger.hpp>

#include <atomic>
#include <thread>

using namespace std::chrono_literals;
using namespace fixtures;
namespace gen_server = otp::gen_server;

namespace {

struct relay_req {
  otp::server_ref<counter> target;
  int n;
};

/// Calls another server from inside its own callback, both blocking and asynchronously.
struct relay {
  int handle_call(const relay_req& r) { return gen_server::call(r.target, add{r.n}); }
  otp::call_result<int> handle_call(const add& a, otp::from<int> caller) {
    gen_server::async_call(target, add{a.n}, 1s, [caller](otp::expected<int, otp::call_error> r) {
      caller.reply(r.value_or(-1));
    });
    return otp::noreply();
  }
  void init(otp::server_ref<counter> t) { target = t; }
  otp::server_ref<counter> target;
};

struct hand_off {};

/// Replies from a different thread than its own.
struct threaded_replier {
  std::vector<std::thread> threads;
  otp::call_result<int> handle_call(const hand_off&, otp::from<int> caller) {
    threads.emplace_back([caller] { caller.reply(99); });
    return otp::noreply();
  }
  void terminate(const otp::exit_reason&) {
    for (auto& t : threads)
      t.join();
  }
};

struct relay_hand_off {
  otp::server_ref<threaded_replier> target;
};

/// Waits for a threaded_replier through async_call: its reply comes from a plain thread.
struct async_waiter {
  otp::call_result<int> handle_call(const relay_hand_off& r, otp::from<int> caller) {
    gen_server::async_call(
      r.target, hand_off{}, 5s,
      [caller](otp::expected<int, otp::call_error> x) { caller.reply(x.value_or(-1)); });
    return otp::noreply();
  }
};

struct never_replies {
  otp::call_result<int> handle_call(const get&) { return otp::noreply(); }
};

struct wait_on {
  otp::server_ref<never_replies> target;
};

/// Calls a server that never answers with a short timeout, through CAF's own request (which
/// sets a timeout in CAF's clock); replies -1 once it fires.
struct timed_waiter {
  otp::call_result<int> handle_call(const wait_on& r, otp::from<int> caller) {
    auto dest = otp::to_actor(r.target);
    otp::detail::server_core::current()
      ->request(
        dest, 20ms,
        otp::detail::to_message(otp::detail::request_message(
          otp::detail::call_dispatch<never_replies, get>, otp::detail::box_maker::of(get{}))))
      .then([caller](otp::detail::box<int>& x) { caller.reply(x.value); },
            [caller](caf::error&) { caller.reply(-1); });
    return otp::noreply();
  }
};

struct logger_query {};

/// Tells whether CAF's logger is set on the thread that runs it.
struct logger_probe {
  bool handle_call(const logger_query&) { return caf::logger::current_logger() != nullptr; }
};

}  // namespace

TEST_CASE("CAF's logger leaves the threads that run processes, unless it was asked to log") {
  {
    otp::node node;
    auto p = gen_server::start<logger_probe>(node).value();
    for (int i = 0; i < 20; ++i)  // whichever scheduler thread runs it
      CHECK_FALSE(gen_server::call(p, logger_query{}));
  }
  otp::node_options opts;
  opts.setup.push_back([](caf::actor_system_config& cfg) {
    cfg.set("logger.console", caf::atom("uncolored"));
    cfg.set("logger.console-verbosity", caf::atom("error"));
  });
  otp::node node{opts};
  auto p = gen_server::start<logger_probe>(node).value();
  for (int i = 0; i < 20; ++i)
    CHECK(gen_server::call(p, logger_query{}));
}

TEST_CASE("a process leaves CAF's clock alone at its exit unless it set a timeout") {
  otp::node node;
  auto* clock = dynamic_cast<otp::detail::lean_clock*>(&node.system().clock());
  REQUIRE(clock != nullptr);
  // The blocking calls below wait through short-lived actors of their own, which set a timeout.
  auto settled = [&] {
    return test_util::eventually([&] { return clock->actors_with_timeouts() == 0; });
  };
  REQUIRE(settled());
  auto before = clock->cancellations();
  for (int i = 0; i < 50; ++i) {
    auto c = gen_server::start<counter>(node, i, nullptr).value();
    REQUIRE(gen_server::stop(c));
  }
  CHECK(settled());
  CHECK(clock->cancellations() == before);
  auto silent = gen_server::start<never_replies>(node).value();
  auto waiter = gen_server::start<timed_waiter>(node).value();
  // The timeout goes through to CAF's clock and fires...
  CHECK(gen_server::call(waiter, wait_on{silent}, 5s) == -1);
  CHECK(clock->actors_with_timeouts() >= 1);
  // ... and the exit of the process that set it cancels what is left of it there.
  before = clock->cancellations();
  REQUIRE(gen_server::stop(waiter));
  CHECK(settled());
  CHECK(clock->cancellations() > before);
}

struct ask_many {
  otp::server_ref<counter> target;
  int n;
};

/// Makes `n` async_calls with the default 5 s timeout, one after the other, each from the
/// previous one's callback; replies with how many were answered.
struct chained_caller {
  otp::call_result<int> handle_call(const ask_many& r, otp::from<int> caller) {
    next(r.target, r.n, caller);
    return otp::noreply();
  }
  void next(otp::server_ref<counter> target, int left, otp::from<int> caller) {
    if (left == 0) {
      caller.reply(answered);
      return;
    }
    gen_server::async_call(target, add{1}, otp::default_call_timeout,
                           [this, target, left, caller](otp::expected<int, otp::call_error> r) {
                             answered += r.has_value();
                             next(target, left - 1, caller);
                           });
  }
  int answered = 0;
};

TEST_CASE("async_calls with a timeout share one timer in CAF's clock") {
  otp::node node;
  auto* clock = dynamic_cast<otp::detail::lean_clock*>(&node.system().clock());
  REQUIRE(clock != nullptr);
  auto c = gen_server::start<counter>(node, 0, nullptr).value();
  auto p = gen_server::start<chained_caller>(node).value();
  auto timers_before = clock->scheduled_messages();
  auto timeouts_before = clock->actors_with_timeouts();
  CHECK(gen_server::call(p, ask_many{c, 1000}) == 1000);
  // One timer for the first deadline; every later call's deadline comes after it.
  CHECK(clock->scheduled_messages() - timers_before <= 2);
  CHECK(clock->actors_with_timeouts() == timeouts_before);  // no per-request CAF timeout
}

TEST_CASE("many plain threads call one server concurrently") {
  otp::node node;
  auto c = gen_server::start<counter>(node, 0, nullptr).value();
  std::vector<std::thread> callers;
  for (int t = 0; t < 4; ++t)
    callers.emplace_back([&] {
      for (int i = 0; i < 500; ++i)
        gen_server::call(c, add{1});
    });
  for (auto& t : callers)
    t.join();
  CHECK(gen_server::call(c, get{}) == 2000);
  REQUIRE(gen_server::stop(c));
}

TEST_CASE("a server calls another, blocking and with async_call") {
  otp::node node;
  auto c = gen_server::start<counter>(node, 0, nullptr).value();
  auto r = gen_server::start<relay>(node, c).value();
  CHECK(gen_server::call(r, relay_req{c, 5}) == 5);
  CHECK(gen_server::call(r, add{3}) == 8);
  CHECK(gen_server::call(c, get{}) == 8);
}

TEST_CASE("a deferred reply can be given from another thread") {
  otp::node node;
  auto s = gen_server::start<threaded_replier>(node).value();
  CHECK(gen_server::call(s, hand_off{}) == 99);
  REQUIRE(gen_server::stop(s));
}

TEST_CASE("a process awaiting an async_call gets a reply given from a plain thread") {
  otp::node node;
  auto replier = gen_server::start<threaded_replier>(node).value();
  auto waiter = gen_server::start<async_waiter>(node).value();
  for (int i = 0; i < 200; ++i)
    REQUIRE(gen_server::call(waiter, relay_hand_off{replier}, 5s) == 99);
  REQUIRE(gen_server::stop(replier));
}

TEST_CASE("a real call timeout fires at its time") {
  otp::node node;
  auto s = gen_server::start<never_replies>(node).value();
  auto start = std::chrono::steady_clock::now();
  auto r = gen_server::try_call(s, get{}, 50ms);
  auto took = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(r);
  CHECK(r.error().what_kind() == otp::call_error::kind::timeout);
  CHECK(took >= 50ms);
  CHECK(took < 2s);
}

TEST_CASE("a crash on the real scheduler fails the call with the reason") {
  otp::node node;
  auto log = std::make_shared<std::vector<std::string>>();
  node.logger().set_sink([](const otp::log_event&) {});
  auto c = gen_server::start<counter>(node, 0, log).value();
  auto r = gen_server::try_call(c, crash{});
  REQUIRE_FALSE(r);
  CHECK(r.error().reason() == otp::exit_reason::exception("boom"));
}

TEST_CASE("destroying a node with servers still running does not hang") {
  std::atomic<bool> finished{false};
  {
    otp::node node;
    for (int i = 0; i < 100; ++i)
      gen_server::start<counter>(node, i, nullptr).value();
    CHECK(node.process_count() == 100);
  }
  finished = true;
  CHECK(finished);
}

TEST_CASE("a node's teardown hooks run once every process has finished exiting") {
  std::atomic<int> hooks{0};
  std::atomic<std::size_t> running_at_teardown{1000};
  {
    otp::node_options opts;
    opts.teardown.push_back([&](caf::actor_system& sys) {
      running_at_teardown = otp::node::of(sys).process_count();
      ++hooks;
    });
    otp::node node{opts};
    for (int i = 0; i < 100; ++i)
      gen_server::start<counter>(node, i, nullptr).value();
    REQUIRE(node.process_count() == 100);
  }
  CHECK(hooks == 1);
  // The destructor waited for every process (and its exit and down messages) first.
  CHECK(running_at_teardown == 0);
}
