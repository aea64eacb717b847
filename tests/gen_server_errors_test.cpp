// Ensure that every way a call can fail gives its own typed error, promptly.

#include "servers.hpp"

#include <doctest/doctest.h>

#include <otp/gen_server.hpp>
#include <otp/test/kit.hpp>

using namespace fixtures;
using otp::call_error;
using otp::exit_reason;
namespace gen_server = otp::gen_server;

namespace {

struct never_replies {
  otp::call_result<int> handle_call(const get&) { return otp::noreply(); }
};

struct other_server {
  int handle_call(const get&) { return 1; }
};

struct self_caller {
  otp::server_ref<self_caller> me;
  void init() { me = otp::server_ref<self_caller>{otp::self()}; }
  std::string handle_call(const add&) {
    auto r = gen_server::try_call(me, get{});
    return r ? "no error" : std::string{to_string(r.error().what_kind())};
  }
  int handle_call(const get&) { return 0; }
};

}  // namespace

TEST_CASE("a call without reply times out at the caller's timeout, default 5 s") {
  otp::test::kit kit;
  auto s = gen_server::start<never_replies>(kit.node()).value();
  auto start = kit.now();
  auto r = gen_server::try_call(s, get{});
  REQUIRE_FALSE(r);
  CHECK(r.error().what_kind() == call_error::kind::timeout);
  CHECK(kit.now() - start == std::chrono::seconds{5});

  auto short_one = gen_server::try_call(s, get{}, std::chrono::milliseconds{250});
  CHECK(short_one.error().what_kind() == call_error::kind::timeout);
  CHECK_THROWS_AS(gen_server::call(s, get{}, std::chrono::milliseconds{10}), call_error);
}

TEST_CASE("a call to a server that no longer exists fails with noproc") {
  otp::test::kit kit;
  auto c = gen_server::start<counter>(kit.node(), 0, nullptr).value();
  gen_server::stop(c);
  auto r = gen_server::try_call(c, get{});
  REQUIRE_FALSE(r);
  CHECK(r.error().what_kind() == call_error::kind::noproc);
  CHECK(gen_server::try_call(otp::server_ref<counter>{}, get{}).error().what_kind()
        == call_error::kind::noproc);
}

TEST_CASE("a server that crashes on the call fails it with the crash reason") {
  otp::test::kit kit;
  auto c = gen_server::start<counter>(kit.node(), 0, nullptr).value();
  auto r = gen_server::try_call(c, crash{});
  REQUIRE_FALSE(r);
  CHECK(r.error().what_kind() == call_error::kind::exited);
  CHECK(r.error().reason() == exit_reason::exception("boom"));
}

TEST_CASE("a call queued behind a crash fails with the crash reason, not a timeout") {
  otp::test::kit kit;
  auto c = gen_server::start<counter>(kit.node(), 0, nullptr).value();
  gen_server::cast(c, crash{});  // queued first, handled first
  auto r = gen_server::try_call(c, get{});
  REQUIRE_FALSE(r);
  CHECK(r.error().what_kind() == call_error::kind::exited);
  CHECK(r.error().reason() == exit_reason::exception("cast boom"));
  CHECK(kit.now() < std::chrono::seconds{1});
}

TEST_CASE("stop without a reply fails the pending call with the stop reason") {
  otp::test::kit kit;
  struct stops_silently {
    otp::call_result<int> handle_call(const get&) { return otp::stop(exit_reason::error("quit")); }
  };
  auto s = gen_server::start<stops_silently>(kit.node()).value();
  auto r = gen_server::try_call(s, get{});
  REQUIRE_FALSE(r);
  CHECK(r.error().what_kind() == call_error::kind::exited);
  CHECK(r.error().reason() == exit_reason::error("quit"));
}

TEST_CASE("a server_ref of the wrong server type fails with badarg, harmlessly") {
  otp::test::kit kit;
  auto c = gen_server::start<counter>(kit.node(), 3, nullptr).value();
  otp::server_ref<other_server> wrong{c};
  auto r = gen_server::try_call(wrong, get{});
  REQUIRE_FALSE(r);
  CHECK(r.error().what_kind() == call_error::kind::badarg);
  CHECK(gen_server::call(c, get{}) == 3);
}

TEST_CASE("a server calling itself gets calling_self instead of a deadlock") {
  otp::test::kit kit;
  auto s = gen_server::start<self_caller>(kit.node()).value();
  CHECK(gen_server::call(s, add{1}) == "calling_self");
}

TEST_CASE("a cast to a dead server is dropped silently") {
  otp::test::kit kit;
  auto c = gen_server::start<counter>(kit.node(), 0, nullptr).value();
  gen_server::stop(c);
  gen_server::cast(c, add{1});
  gen_server::cast(otp::server_ref<counter>{}, add{1});
  kit.run();
  CHECK(kit.logs().empty());
}
