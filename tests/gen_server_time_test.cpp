// Ensure that timers and OTP's inactivity timeout fire at the right virtual time, and only then.

#include "servers.hpp"

#include <doctest/doctest.h>

#include <otp/gen_server.hpp>
#include <otp/process.hpp>
#include <otp/test/kit.hpp>

using namespace std::chrono_literals;
using namespace fixtures;
namespace gen_server = otp::gen_server;

namespace {

struct arm {
  otp::timeout after;
};
struct ping {};
struct cancel {};

/// Uses the inactivity timeout, and a send_after timer it can cancel.
class sleepy {
 public:
  using info_types = otp::types<tick>;

  otp::call_result<int> handle_call(const arm& a) { return otp::reply(0, a.after); }
  otp::call_result<int> handle_call(const ping&) { return otp::reply(0); }
  otp::call_result<int> handle_call(const get&) { return timeouts_ * 10 + ticks_; }
  otp::call_result<int> handle_call(const add& a) {
    timer_ = otp::send_after(std::chrono::milliseconds{a.n}, tick{});
    return 0;
  }
  otp::call_result<bool> handle_call(const cancel&) { return otp::cancel_timer(timer_); }
  void handle_info(const otp::timed_out&) { ++timeouts_; }
  void handle_info(const tick&) { ++ticks_; }

 private:
  int timeouts_ = 0;
  int ticks_ = 0;
  otp::timer_ref timer_;
};

struct timeout_from_init {
  otp::init_result init() { return otp::ok(100ms); }
  int fired = 0;
  void handle_info(const otp::timed_out&) { ++fired; }
  int handle_call(const get&) { return fired; }
};

}  // namespace

TEST_CASE("the inactivity timeout fires after the given idle time") {
  otp::test::kit kit;
  auto s = gen_server::start<sleepy>(kit.node()).value();
  gen_server::call(s, arm{200ms});
  kit.advance(199ms);
  CHECK(gen_server::call(s, get{}) == 0);  // this call also disarms the timeout
  gen_server::call(s, arm{200ms});
  kit.advance(200ms);
  CHECK(gen_server::call(s, get{}) == 10);
}

TEST_CASE("any message before the inactivity timeout cancels it") {
  otp::test::kit kit;
  auto s = gen_server::start<sleepy>(kit.node()).value();
  gen_server::call(s, arm{100ms});
  kit.advance(50ms);
  gen_server::call(s, ping{});
  kit.advance(1s);
  CHECK(gen_server::call(s, get{}) == 0);
}

TEST_CASE("init can set the inactivity timeout") {
  otp::test::kit kit;
  auto s = gen_server::start<timeout_from_init>(kit.node()).value();
  kit.advance(100ms);
  CHECK(gen_server::call(s, get{}) == 1);
}

TEST_CASE("send_after delivers at its time, cancel_timer stops it") {
  otp::test::kit kit;
  auto s = gen_server::start<sleepy>(kit.node()).value();
  gen_server::call(s, add{300});
  kit.advance(299ms);
  CHECK(gen_server::call(s, get{}) == 0);
  kit.advance(1ms);
  CHECK(gen_server::call(s, get{}) == 1);
  CHECK_FALSE(gen_server::call(s, cancel{}));  // already fired

  gen_server::call(s, add{300});
  CHECK(gen_server::call(s, cancel{}));
  kit.advance(1s);
  CHECK(gen_server::call(s, get{}) == 1);
}

TEST_CASE("send_after from outside any process reaches the server") {
  otp::test::kit kit;
  auto c = gen_server::start<counter>(kit.node(), 0, nullptr).value();
  auto t = otp::send_after(1s, c, tick{});
  CHECK(t.active());
  kit.advance(1s);
  CHECK_FALSE(t.active());
  CHECK(gen_server::call(c, get{}) == 100);
}
