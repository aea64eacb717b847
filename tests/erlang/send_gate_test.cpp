// Ensure that the distribution's back-pressure wakes a waiting sender when the queue drains
// (instead of it polling): a plain thread and a parked process go on at once when a connection
// counts bytes out, the process's thread runs others meanwhile, and stopping frees everyone.

#include "dist/erlang/send_gate.hpp"

#include "otp/node.hpp"
#include "otp/spawn.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <future>
#include <thread>

using namespace std::chrono_literals;
using otp::dist::erlang::send_gate;

namespace {

// Well under the gate's one-second bound on a wait: only a wake gets a sender out this fast.
constexpr auto prompt = 500ms;

}  // namespace

TEST_CASE("send_gate: a plain thread waits while the queue is over the limit, woken on drain") {
  send_gate gate{100};
  gate.enter(150);  // room (0 queued): counted in, now over the limit
  CHECK(gate.queued() == 150);
  auto sender = std::async(std::launch::async, [&] { gate.enter(10); });
  CHECK(sender.wait_for(50ms) == std::future_status::timeout);
  auto t0 = std::chrono::steady_clock::now();
  gate.left(150);
  REQUIRE(sender.wait_for(5s) == std::future_status::ready);
  CHECK(std::chrono::steady_clock::now() - t0 < prompt);
  CHECK(gate.queued() == 10);
}

TEST_CASE("send_gate: a process parks while it waits, its thread runs others, drain wakes it") {
  otp::node node{otp::node_options{.threads = 1}};
  send_gate gate{100};
  gate.enter(101);
  std::promise<void> sent;
  std::promise<void> other;
  otp::spawn(node, [&] {
    gate.enter(10);
    sent.set_value();
  });
  otp::spawn(node, [&] { other.set_value(); });  // the one thread is not held by the wait
  REQUIRE(other.get_future().wait_for(5s) == std::future_status::ready);
  auto s = sent.get_future();
  CHECK(s.wait_for(50ms) == std::future_status::timeout);
  auto t0 = std::chrono::steady_clock::now();
  gate.left(50);  // 51 queued: room
  REQUIRE(s.wait_for(5s) == std::future_status::ready);
  CHECK(std::chrono::steady_clock::now() - t0 < prompt);
}

TEST_CASE("send_gate: stopping lets every waiting sender go on") {
  send_gate gate{1};
  gate.enter(2);
  auto a = std::async(std::launch::async, [&] { gate.enter(1); });
  auto b = std::async(std::launch::async, [&] { gate.enter(1); });
  CHECK(a.wait_for(50ms) == std::future_status::timeout);
  gate.stop();
  CHECK(a.wait_for(prompt) == std::future_status::ready);
  CHECK(b.wait_for(prompt) == std::future_status::ready);
}
