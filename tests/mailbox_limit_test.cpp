// Bounded mailboxes: each overflow policy under a cast flood, calls refused at once, exit
// signals never dropped, the high-water warning, and unbounded by default.

#include <doctest/doctest.h>

#include <otp/gen_server.hpp>
#include <otp/process.hpp>
#include <otp/sys.hpp>
#include <otp/test/kit.hpp>

#include <fmt/format.h>

#include <memory>
#include <vector>

using namespace std::chrono_literals;
namespace gen_server = otp::gen_server;
using otp::overflow_policy;

namespace {

struct item {
  int n;
};
struct seen_items {};

/// Records the items it handles, in order.
struct sink {
  std::vector<int> handled;
  void handle_cast(const item& i) { handled.push_back(i.n); }
  std::vector<int> handle_call(const seen_items&) { return handled; }
};

otp::start_options bounded(std::size_t max, overflow_policy p, std::size_t high_water = 0) {
  return {.mailbox = {.max = max, .overflow = p, .high_water = high_water}};
}

/// Casts `n` items, numbered from `first`, while the kit does not run the server.
void flood(const otp::server_ref<sink>& s, int first, int n) {
  for (int i = first; i < first + n; ++i)
    gen_server::cast(s, item{i});
}

std::vector<int> range(int first, int last) {  // [first, last)
  std::vector<int> v;
  for (int i = first; i < last; ++i)
    v.push_back(i);
  return v;
}

}  // namespace

TEST_CASE("mailbox limit: unbounded by default, as in Erlang") {
  otp::test::kit kit;
  auto s = gen_server::start<sink>(kit.node()).value();
  flood(s, 0, 20'000);
  CHECK(gen_server::call(s, seen_items{}).size() == 20'000);
  CHECK(kit.logs("mailbox_high_water").empty());
}

TEST_CASE("mailbox limit: drop_newest keeps the first max and refuses a call at once") {
  otp::test::kit kit;
  auto s = gen_server::start<sink>(kit.node(), bounded(100, overflow_policy::drop_newest)).value();
  flood(s, 0, 1000);
  auto t0 = kit.now();
  auto refused = gen_server::try_call(s, seen_items{}, 5s);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().what_kind() == otp::call_error::kind::mailbox_full);
  CHECK(kit.now() == t0);
  kit.run();
  CHECK(gen_server::call(s, seen_items{}) == range(0, 100));
  auto status = otp::sys::get_status(otp::pid{s}).value();
  CHECK(status.mailbox_limit == 100);
  CHECK(status.mailbox_dropped == 901);  // 900 casts and the call
  CHECK(kit.logs("mailbox_high_water").size() == 1);
  CHECK(kit.logs("mailbox_overflow").size() == 1);
  // Drained: it takes messages again.
  flood(s, 5000, 10);
  CHECK(gen_server::call(s, seen_items{}).size() == 110);
}

TEST_CASE("mailbox limit: drop_oldest keeps the newest max, up to max more behind") {
  otp::test::kit kit;
  auto s = gen_server::start<sink>(kit.node(), bounded(100, overflow_policy::drop_oldest)).value();
  flood(s, 0, 150);
  kit.run();  // a call now would count too, and push one more of the oldest out
  CHECK(gen_server::call(s, seen_items{}) == range(50, 150));
  // 250 at once: the oldest 100 go as the server reaches them; past 2 × max arrivals go too.
  auto s2 = gen_server::start<sink>(kit.node(), bounded(100, overflow_policy::drop_oldest)).value();
  flood(s2, 0, 250);
  kit.run();
  CHECK(gen_server::call(s2, seen_items{}) == range(100, 200));
  CHECK(otp::sys::get_status(otp::pid{s2}).value().mailbox_dropped == 150);
}

TEST_CASE("mailbox limit: fail_sender throws to the sender, and crashes a sending process") {
  otp::test::kit kit;
  auto s = gen_server::start<sink>(kit.node(), bounded(10, overflow_policy::fail_sender)).value();
  otp::sys::suspend(otp::pid{s});  // what it skips while suspended still fills its mailbox
  flood(s, 0, 10);
  CHECK_THROWS_AS(gen_server::cast(s, item{10}), otp::mailbox_full);
  try {
    otp::send(otp::pid{s}, item{11});
    FAIL("send to a full mailbox did not throw");
  } catch (const otp::mailbox_full& e) {
    CHECK(e.receiver() == otp::pid{s});
    CHECK(e.max() == 10);
  }
  auto probe = kit.make_probe();
  auto sender = otp::spawn(kit.node(), [s] { gen_server::cast(s, item{12}); });
  probe.monitor(sender);
  CHECK(probe.expect<otp::down>().reason.what() == otp::exit_reason::kind::exception);
  otp::sys::resume(otp::pid{s});
  kit.run();
  CHECK(gen_server::call(s, seen_items{}) == range(0, 10));
  gen_server::cast(s, item{13});  // room again: no throw
}

TEST_CASE("mailbox limit: crash ends the process before it handles another message") {
  otp::test::kit kit;
  auto s = gen_server::start<sink>(kit.node(), bounded(10, overflow_policy::crash)).value();
  auto probe = kit.make_probe();
  probe.monitor(otp::pid{s});
  flood(s, 0, 11);
  auto down = probe.expect<otp::down>();
  CHECK(down.reason == otp::exit_reason::error("mailbox_full"));
  CHECK(kit.logs("mailbox_overflow").size() == 1);
}

TEST_CASE("mailbox limit: exit signals and downs are never dropped") {
  otp::test::kit kit;
  auto s = gen_server::start<sink>(kit.node(), bounded(5, overflow_policy::drop_newest)).value();
  auto probe = kit.make_probe();
  probe.monitor(otp::pid{s});
  flood(s, 0, 50);
  otp::exit(otp::pid{s}, otp::exit_reason::error("stop"));
  CHECK(probe.expect<otp::down>().reason == otp::exit_reason::error("stop"));
}

TEST_CASE("mailbox limit: the high-water warning comes once per rise") {
  otp::test::kit kit;
  auto s =
    gen_server::start<sink>(kit.node(), bounded(100, overflow_policy::drop_newest, 10)).value();
  flood(s, 0, 50);
  kit.run();
  CHECK(kit.logs("mailbox_high_water").size() == 1);
  flood(s, 100, 50);  // drained below half in between: warns again
  kit.run();
  CHECK(kit.logs("mailbox_high_water").size() == 2);
  CHECK(kit.logs("mailbox_overflow").empty());
}

TEST_CASE("mailbox limit: a high water above max is refused") {
  otp::test::kit kit;
  CHECK_THROWS_AS(
    gen_server::start<sink>(kit.node(), bounded(10, overflow_policy::drop_newest, 11)),
    std::invalid_argument);
  CHECK(kit.node().process_count() == 0);
}
