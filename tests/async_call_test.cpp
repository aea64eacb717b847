// Ensure that gen_server::async_call delivers each reply or error to its own callback, once:
// whatever order the replies come in, after a timeout, after the server's crash. And the
// table behind it, which keeps the callbacks by request id.

#include <doctest/doctest.h>

#include <otp/gen_server.hpp>
#include <otp/process.hpp>
#include <otp/sys.hpp>
#include <otp/test/kit.hpp>
#include "process/awaited_replies.hpp"

#include <fmt/format.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace gen_server = otp::gen_server;

namespace {

struct take {
  int n;
};
struct release_in_reverse {};
struct crash {};

/// Keeps every `take` waiting until told to answer them, last first.
class holder {
 public:
  otp::call_result<int> handle_call(const take& t, otp::from<int> caller) {
    waiting_.emplace_back(t.n, caller);
    return otp::noreply();
  }
  int handle_call(const release_in_reverse&) {
    for (auto it = waiting_.rbegin(); it != waiting_.rend(); ++it)
      it->second.reply(it->first * 10);
    auto answered = static_cast<int>(waiting_.size());
    waiting_.clear();
    return answered;
  }
  void handle_cast(const crash&) { throw std::runtime_error("holder boom"); }

 private:
  std::vector<std::pair<int, otp::from<int>>> waiting_;
};

struct ask {
  otp::server_ref<holder> target;
  int first;
  int count;
  otp::timeout t;
};
struct results {};
struct throw_on_reply {
  otp::server_ref<holder> target;
};

/// Sends async_calls and writes down what each callback got, in arrival order.
class asker {
 public:
  otp::call_result<int> handle_call(const ask& a) {
    for (int i = a.first; i < a.first + a.count; ++i)
      gen_server::async_call(
        a.target, take{i}, a.t, [this, i](otp::expected<int, otp::call_error> r) {
          if (r)
            seen_.push_back(fmt::format("{}: {}", i, *r));
          else
            seen_.push_back(fmt::format("{}: {} {}", i, to_string(r.error().what_kind()),
                                        to_string(r.error().reason())));
        });
    return a.count;
  }
  std::vector<std::string> handle_call(const results&) { return seen_; }
  std::string format_state() const { return fmt::format("{} seen", seen_.size()); }
  otp::call_result<int> handle_call(const throw_on_reply& t) {
    gen_server::async_call(
      t.target, take{0}, otp::infinity,
      [](otp::expected<int, otp::call_error>) { throw std::runtime_error("callback boom"); });
    return 0;
  }

 private:
  std::vector<std::string> seen_;
};

struct asker_and_holder {
  otp::test::kit kit;
  otp::server_ref<holder> h = gen_server::start<holder>(kit.node()).value();
  otp::server_ref<asker> a = gen_server::start<asker>(kit.node()).value();
};

}  // namespace

TEST_CASE_FIXTURE(asker_and_holder,
                  "async_call hands each reply to its own callback, in whatever order they come") {
  REQUIRE(gen_server::call(a, ask{h, 1, 5, otp::infinity}) == 5);
  kit.run();
  CHECK(gen_server::call(a, results{}).empty());
  REQUIRE(gen_server::call(h, release_in_reverse{}) == 5);
  kit.run();
  CHECK(gen_server::call(a, results{})
        == std::vector<std::string>{"5: 50", "4: 40", "3: 30", "2: 20", "1: 10"});
}

TEST_CASE_FIXTURE(asker_and_holder,
                  "a suspended process gets its async_call replies once resumed") {
  REQUIRE(gen_server::call(a, ask{h, 1, 2, otp::infinity}) == 2);
  REQUIRE(otp::sys::suspend(a));
  REQUIRE(gen_server::call(h, release_in_reverse{}) == 2);
  kit.run();
  CHECK(otp::sys::get_state(a).value() == "0 seen");
  REQUIRE(otp::sys::resume(a));
  kit.run();
  CHECK(gen_server::call(a, results{}) == std::vector<std::string>{"2: 20", "1: 10"});
}

TEST_CASE_FIXTURE(asker_and_holder,
                  "async_call's timeout fires at its virtual time, and a later reply is dropped") {
  REQUIRE(gen_server::call(a, ask{h, 1, 1, 100ms}) == 1);
  kit.advance(99ms);
  CHECK(gen_server::call(a, results{}).empty());
  kit.advance(1ms);
  CHECK(gen_server::call(a, results{}) == std::vector<std::string>{"1: timeout normal"});
  // The server answers after all: the callback has had its error and hears nothing more.
  REQUIRE(gen_server::call(h, release_in_reverse{}) == 1);
  kit.run();
  CHECK(gen_server::call(a, results{}) == std::vector<std::string>{"1: timeout normal"});
  // A call answered in time is not failed by its timeout later.
  REQUIRE(gen_server::call(a, ask{h, 2, 1, 100ms}) == 1);
  REQUIRE(gen_server::call(h, release_in_reverse{}) == 1);
  kit.advance(1s);
  CHECK(gen_server::call(a, results{}) == std::vector<std::string>{"1: timeout normal", "2: 20"});
}

TEST_CASE_FIXTURE(asker_and_holder, "timeouts of different lengths fire in deadline order") {
  // One timer serves them all: armed for 300 ms first, then moved earlier for 100 ms.
  REQUIRE(gen_server::call(a, ask{h, 1, 1, 300ms}) == 1);
  REQUIRE(gen_server::call(a, ask{h, 2, 1, 100ms}) == 1);
  REQUIRE(gen_server::call(a, ask{h, 3, 1, 200ms}) == 1);
  kit.advance(99ms);
  CHECK(gen_server::call(a, results{}).empty());
  kit.advance(1ms);
  CHECK(gen_server::call(a, results{}) == std::vector<std::string>{"2: timeout normal"});
  kit.advance(100ms);
  CHECK(gen_server::call(a, results{})
        == std::vector<std::string>{"2: timeout normal", "3: timeout normal"});
  kit.advance(100ms);
  CHECK(gen_server::call(a, results{})
        == std::vector<std::string>{"2: timeout normal", "3: timeout normal", "1: timeout normal"});
}

TEST_CASE_FIXTURE(asker_and_holder,
                  "a server's crash fails every async_call waiting on it, with its reason") {
  REQUIRE(gen_server::call(a, ask{h, 1, 3, otp::infinity}) == 3);
  kit.run();
  gen_server::cast(h, crash{});
  kit.wait_exit(h);
  kit.run();
  auto seen = gen_server::call(a, results{});
  REQUIRE(seen.size() == 3);
  for (const auto& s : seen)
    CHECK(s.find("exited") != std::string::npos);
  CHECK(seen[0].find("holder boom") != std::string::npos);
}

TEST_CASE_FIXTURE(
  asker_and_holder,
  "an exception thrown by an async_call callback crashes the calling process with it") {
  REQUIRE(gen_server::call(a, throw_on_reply{h}) == 0);
  REQUIRE(gen_server::call(h, release_in_reverse{}) == 1);
  auto reason = kit.wait_exit(a);
  CHECK(reason == otp::exit_reason::exception("callback boom"));
}

TEST_CASE("the table of awaited replies finds each by id, once") {
  otp::detail::awaited_replies table;
  std::vector<int> got;
  auto id = [](std::uint64_t n) { return caf::make_message_id(n); };
  for (int i = 1; i <= 5; ++i)
    table.add(id(static_cast<std::uint64_t>(i)),
              [&got, i](otp::detail::message_ref&) { got.push_back(i); });
  CHECK(table.size() == 5);
  otp::detail::message_ref none;
  for (std::uint64_t n : {3u, 1u, 5u}) {
    auto h = table.take(id(n).response_id());
    REQUIRE(h);
    h(none);
  }
  CHECK_FALSE(table.take(id(3).response_id()));  // taken already
  CHECK_FALSE(table.take(id(9).response_id()));  // never there
  CHECK(table.size() == 2);
  table.take(id(2).response_id())(none);
  table.take(id(4).response_id())(none);
  CHECK(got == std::vector<int>{3, 1, 5, 2, 4});
  CHECK(table.empty());
  CHECK(table.slots() == 0);
}

TEST_CASE("a reply that never comes does not make the table grow with every later one") {
  otp::detail::awaited_replies table;
  auto noop = [](otp::detail::message_ref&) {};
  table.add(caf::make_message_id(1), noop);  // never answered
  for (std::uint64_t n = 2; n < 20'000; ++n) {
    table.add(caf::make_message_id(n), noop);
    REQUIRE(table.take(caf::make_message_id(n).response_id()));
  }
  CHECK(table.size() == 1);
  CHECK(table.slots() < 200);
  CHECK(table.take(caf::make_message_id(1).response_id()));
  CHECK(table.slots() == 0);
}

TEST_CASE("the table hands out expired handlers earliest first, and forgets answered deadlines") {
  otp::detail::awaited_replies table;
  using otp::detail::awaited_replies;
  std::vector<int> got;
  auto at = [](int ms) { return awaited_replies::time_point{std::chrono::milliseconds{ms}}; };
  auto h = [&got](int n) { return [&got, n](otp::detail::message_ref&) { got.push_back(n); }; };
  table.add(caf::make_message_id(1), h(1), at(30));
  table.add(caf::make_message_id(2), h(2));  // no deadline
  table.add(caf::make_message_id(3), h(3), at(10));
  table.add(caf::make_message_id(4), h(4), at(20));
  CHECK(table.next_deadline() == at(10));
  REQUIRE(table.take(caf::make_message_id(3).response_id()));  // answered in time
  CHECK(table.next_deadline() == at(20));
  otp::detail::message_ref none;
  for (auto& expired : table.take_expired(at(30)))
    expired(none);
  CHECK(got == std::vector<int>{4, 1});
  CHECK(table.size() == 1);
  CHECK(table.next_deadline() == awaited_replies::never);
  CHECK(table.deadline_slots() == 0);
}

TEST_CASE("deadlines of calls answered out of order do not pile up") {
  otp::detail::awaited_replies table;
  auto noop = [](otp::detail::message_ref&) {};
  auto deadline = otp::detail::awaited_replies::time_point{std::chrono::seconds{5}};
  table.add(caf::make_message_id(1), noop, deadline);  // never answered, earliest deadline
  for (std::uint64_t n = 2; n < 20'000; ++n) {
    table.add(caf::make_message_id(n), noop, deadline + std::chrono::milliseconds{n});
    REQUIRE(table.take(caf::make_message_id(n).response_id()));
  }
  CHECK(table.deadline_slots() < 200);
  CHECK(table.next_deadline() == deadline);
}
