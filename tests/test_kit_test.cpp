// Ensure that the test kit itself is deterministic: probes, virtual time, exits and logs.

#include "servers.hpp"

#include <doctest/doctest.h>

#include <otp/caf.hpp>
#include <otp/gen_server.hpp>
#include <otp/process.hpp>
#include <otp/test/kit.hpp>

#include <caf/send.hpp>

using namespace std::chrono_literals;
using namespace fixtures;
namespace gen_server = otp::gen_server;

TEST_CASE("a probe records messages and expect checks their type") {
  otp::test::kit kit;
  auto probe = kit.make_probe();
  otp::send(probe.pid(), 42);
  otp::send(probe.pid(), std::string{"hi"});
  CHECK(probe.size() == 2);
  CHECK(probe.expect<int>() == 42);
  CHECK_THROWS_AS(probe.expect<int>(), otp::test::expectation_failed);  // it is a string
  CHECK(probe.empty());
  CHECK_THROWS_AS(probe.expect<int>(1s), otp::test::expectation_failed);  // nothing comes
}

TEST_CASE("next returns any message: its value by type, bare from plain CAF too, and its text") {
  otp::test::kit kit;
  auto probe = kit.make_probe();
  otp::send(probe.pid(), std::string{"boxed"});
  caf::anon_send(otp::to_actor(probe.pid()), 7);  // CAF numbers int: no type_info in the message
  caf::anon_send(otp::to_actor(probe.pid()), 1, 2);
  auto boxed = probe.next();
  REQUIRE(boxed.is<std::string>());
  CHECK(*boxed.get_if<std::string>() == "boxed");
  CHECK(boxed.get_if<int>() == nullptr);
  auto bare = probe.next();
  REQUIRE(bare.is<int>());
  CHECK(*bare.get_if<int>() == 7);
  CHECK_FALSE(bare.is<std::string>());
  auto pair = probe.next();
  CHECK_FALSE(pair.is<int>());  // two values are no one int
  CHECK(pair.to_string() == "(1, 2)");
}

TEST_CASE("virtual time moves only when the test moves it") {
  otp::test::kit kit;
  auto probe = kit.make_probe();
  otp::send_after(10s, probe.pid(), 1);
  otp::send_after(20s, probe.pid(), 2);
  kit.advance(9s);
  CHECK(probe.empty());
  kit.advance(1s);
  CHECK(probe.size() == 1);
  CHECK(kit.now() == 10s);
  // expect jumps virtual time to the next timer when nothing else can happen.
  CHECK(probe.expect<int>() == 1);
  CHECK_THROWS_AS(probe.expect<int>(5s), otp::test::expectation_failed);
  CHECK(kit.now() == 15s);
  CHECK(probe.expect<int>(5s) == 2);
  CHECK(kit.now() == 20s);
}

TEST_CASE("wait_exit returns the exit reason, or fails for a live process") {
  otp::test::kit kit;
  auto c = gen_server::start<counter>(kit.node(), 0, nullptr).value();
  CHECK_THROWS_AS(kit.wait_exit(c, 1s), otp::test::expectation_failed);
  CHECK(kit.alive(c));
  otp::exit(c, otp::exit_reason::error("bye"));
  CHECK(kit.wait_exit(c) == otp::exit_reason::error("bye"));
  CHECK_FALSE(kit.alive(c));
}

TEST_CASE("a probe can monitor and link") {
  otp::test::kit kit;
  auto probe = kit.make_probe();
  auto a = gen_server::start<counter>(kit.node(), 0, nullptr).value();
  auto b = gen_server::start<counter>(kit.node(), 0, nullptr).value();
  probe.monitor(a);
  probe.link(b);
  otp::exit(a, otp::exit_reason::error("x"));
  otp::exit(b, otp::exit_reason::error("y"));
  auto d = probe.expect<otp::down>();
  CHECK(d.pid == a);
  CHECK(d.reason == otp::exit_reason::error("x"));
  auto e = probe.expect<otp::exit_signal>();
  CHECK(e.from == b);
  CHECK(e.reason == otp::exit_reason::error("y"));
}

namespace {

struct periodic {
  using info_types = otp::types<tick>;
  void init() { otp::send_after(1s, tick{}); }
  void handle_info(const tick&) { otp::send_after(1s, tick{}); }
};

}  // namespace

TEST_CASE("a kit tears down with periodic timers still running") {
  otp::test::kit kit;
  gen_server::start<periodic>(kit.node()).value();
  kit.advance(10s);
}
