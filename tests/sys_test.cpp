// Ensure that the sys introspection functions report and control a running server.

#include "servers.hpp"

#include <doctest/doctest.h>

#include <otp/gen_server.hpp>
#include <otp/sys.hpp>
#include <otp/test/kit.hpp>

using namespace std::chrono_literals;
using namespace fixtures;
namespace gen_server = otp::gen_server;

namespace {

struct plain_state {
  int value = 7;
  int handle_call(const get&) { return value; }
};

struct nap {};

/// Busy for a second with each `nap`.
struct napper {
  int total = 0;
  void handle_cast(const nap&) { otp::sleep(1s); }
  void handle_cast(const add& a) { total += a.n; }
  int handle_call(const get&) { return total; }
};

}  // namespace

template <>
struct fmt::formatter<plain_state> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const plain_state& s, FormatContext& ctx) const {
    return fmt::format_to(ctx.out(), "#plain_state{{value={}}}", s.value);
  }
};

TEST_CASE("get_state renders the state with the server's own formatter") {
  otp::test::kit kit;
  auto c = gen_server::start<counter>(kit.node(), 3, nullptr).value();
  CHECK(otp::sys::get_state(c).value() == "value=3 ticks=0");
  auto p = gen_server::start<plain_state>(kit.node()).value();
  CHECK(otp::sys::get_state(p).value() == "#plain_state{value=7}");
}

TEST_CASE("get_status reports name, type, counts and mailbox") {
  otp::test::kit kit;
  auto c =
    gen_server::start<counter>(kit.node(), otp::start_options{.name = "c"}, 0, nullptr).value();
  gen_server::call(c, get{});
  gen_server::cast(c, add{1});
  otp::send(c, tick{});
  // Taken ahead of the two queued messages, as process_info counts them.
  auto queued = otp::sys::get_status(c).value();
  CHECK(queued.mailbox_size == 2);
  CHECK(queued.casts == 0);
  kit.run();
  auto st = otp::sys::get_status(c).value();
  CHECK(st.pid == c);
  CHECK(st.name == "c");
  CHECK(st.module == "fixtures::counter");
  CHECK_FALSE(st.suspended);
  CHECK(st.calls == 1);
  CHECK(st.casts == 1);
  CHECK(st.infos == 1);
  CHECK(st.mailbox_size == 0);
  CHECK(st.state == "value=101 ticks=1");
  CHECK(fmt::format("{}", st).find("running") != std::string::npos);
}

TEST_CASE("a suspended server queues work and answers only system messages until resumed") {
  otp::test::kit kit;
  auto c = gen_server::start<counter>(kit.node(), 0, nullptr).value();
  REQUIRE(otp::sys::suspend(c));
  gen_server::cast(c, add{5});
  auto blocked = gen_server::try_call(c, get{}, 100ms);
  CHECK(blocked.error().what_kind() == otp::call_error::kind::timeout);
  auto st = otp::sys::get_status(c).value();
  CHECK(st.suspended);
  CHECK(st.casts == 0);
  REQUIRE(otp::sys::resume(c));
  CHECK(gen_server::call(c, get{}) == 5);
  CHECK(otp::sys::get_status(c).value().casts == 1);
}

TEST_CASE("trace logs every message in and reply out") {
  otp::test::kit kit;
  auto c = gen_server::start<counter>(kit.node(), otp::start_options{.name = "traced"}, 0, nullptr)
             .value();
  REQUIRE(otp::sys::trace(c, true));
  gen_server::call(c, add{2});
  auto traces = kit.logs("trace");
  REQUIRE(traces.size() == 2);
  // As OTP's: got call Req from Pid / sent Reply to Pid, new state State.
  auto caller = traces[0].text.substr(traces[0].text.rfind(' ') + 1);
  CHECK(traces[0].text == "*DBG* traced got call fixtures::add from " + caller);
  CHECK(caller.starts_with("<0."));
  CHECK(traces[1].text
        == fmt::format("*DBG* traced sent 2 to {}, new state {}", caller,
                       otp::sys::get_state(c).value()));
  kit.clear_logs();
  gen_server::cast(c, add{1});
  kit.run();
  traces = kit.logs("trace");
  REQUIRE(traces.size() == 2);
  CHECK(traces[0].text == "*DBG* traced got cast fixtures::add");
  CHECK(traces[1].text.starts_with("*DBG* traced new state "));
  kit.clear_logs();
  REQUIRE(otp::sys::trace(c, false));
  kit.clear_logs();
  gen_server::call(c, add{2});
  CHECK(kit.logs("trace").empty());
}

TEST_CASE("sys functions on a dead server fail with noproc") {
  otp::test::kit kit;
  auto c = gen_server::start<counter>(kit.node(), 0, nullptr).value();
  gen_server::stop(c);
  CHECK(otp::sys::get_state(c).error().what_kind() == otp::call_error::kind::noproc);
}

TEST_CASE("get_status counts the messages a suspended server holds back") {
  otp::test::kit kit;
  auto c = gen_server::start<counter>(kit.node(), 0, nullptr).value();
  REQUIRE(otp::sys::suspend(c));
  for (int i = 0; i < 1000; ++i)
    gen_server::cast(c, add{1});
  otp::send(c, tick{});
  kit.run();  // the server has looked at all of them and held them back
  auto st = otp::sys::get_status(c).value();
  CHECK(st.suspended);
  CHECK(st.mailbox_size == 1001);
  REQUIRE(otp::sys::resume(c));
  kit.run();
  CHECK(otp::sys::get_status(c).value().mailbox_size == 0);
  CHECK(gen_server::call(c, get{}) == 1100);
}

TEST_CASE("get_status on a busy server counts everything queued behind the current message") {
  // As process_info(P, message_queue_len): get_status is taken ahead of the queued messages,
  // as soon as the message being handled is done.
  otp::test::kit kit;
  auto c = gen_server::start<napper>(kit.node()).value();
  gen_server::cast(c, nap{});
  kit.run();  // the server is inside its nap
  for (int i = 0; i < 1000; ++i)
    gen_server::cast(c, add{1});
  auto t0 = kit.now();
  auto st = otp::sys::get_status(c).value();
  CHECK(kit.now() - t0 == 1s);  // answered when the nap ended
  CHECK(st.mailbox_size == 1000);
  CHECK(st.casts == 1);
  CHECK(gen_server::call(c, get{}) == 1000);
}
