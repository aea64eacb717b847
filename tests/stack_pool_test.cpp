// The stacks of waiting processes: a program keeps a bounded number of them, and the frames of
// parked processes beyond that live on the heap, moved off their stack and back.

#include "eventually.hpp"
#include "servers.hpp"

#include <doctest/doctest.h>

#include <otp/gen_server.hpp>
#include <otp/node.hpp>
#include <otp/process.hpp>

#include "runtime/stack_pool.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using fixtures::answer_later;
using fixtures::get_answer;
using fixtures::how_many;
using fixtures::release_all;
namespace gen_server = otp::gen_server;
using otp::detail::stack_pool;

namespace {

otp::node_options threads(std::size_t n) {
  return {.threads = n, .log = otp::log_level::none};
}

/// Sets the pool's limit for one test and puts the default back.
struct stack_limit {
  explicit stack_limit(std::size_t n) { stack_pool::set_limit(n); }
  ~stack_limit() { stack_pool::set_limit(256); }
  stack_limit(const stack_limit&) = delete;
  stack_limit& operator=(const stack_limit&) = delete;
};

struct go {
  int seed;
};

struct witness {
  std::shared_ptr<std::atomic<int>> destroyed;
  ~witness() { ++*destroyed; }
};

/// Waits with frames worth checking: an array, a string, and pointers into its own stack.
struct frame_keeper {
  otp::server_ref<answer_later> server;
  std::shared_ptr<std::atomic<int>> intact;
  std::shared_ptr<std::atomic<int>> destroyed;
  void handle_cast(const go& g) {
    witness w{destroyed};
    std::array<int, 64> numbers{};
    std::iota(numbers.begin(), numbers.end(), g.seed);
    std::string text = "process " + std::to_string(g.seed) + " kept its frames across a wait";
    int* inside = &numbers[17];
    const std::string* text_ref = &text;
    auto answer = gen_server::call(server, get_answer{}, otp::infinity);
    bool same = answer == 42 && *inside == g.seed + 17 && text_ref->size() == text.size()
                && text == "process " + std::to_string(g.seed) + " kept its frames across a wait"
                && std::accumulate(numbers.begin(), numbers.end(), 0) == 64 * g.seed + 2016;
    if (same)
      ++*intact;
  }
};

}  // namespace

TEST_CASE("stack pool: frames moved to the heap come back intact, pointers into them too") {
  stack_limit limit{2};
  otp::node node{threads(2)};
  auto server = gen_server::start<answer_later>(node).value();
  auto intact = std::make_shared<std::atomic<int>>(0);
  auto destroyed = std::make_shared<std::atomic<int>>(0);
  auto before = stack_pool::read();
  constexpr int n = 300;
  std::vector<otp::server_ref<frame_keeper>> keepers;
  for (int i = 0; i < n; ++i) {
    keepers.push_back(gen_server::start<frame_keeper>(node, server, intact, destroyed).value());
    gen_server::cast(keepers.back(), go{i * 1000});
  }
  REQUIRE(test_util::eventually(
    [&] { return gen_server::call(server, how_many{}) == static_cast<std::size_t>(n); }, 30s));
  auto parked = stack_pool::read();
  // More processes wait than the pool keeps stacks: most frames went to the heap.
  CHECK(parked.evictions - before.evictions >= n - 10);
  CHECK(parked.stacks <= std::max<std::size_t>(before.stacks, 2) + 4);  // + turns running
  CHECK(gen_server::call(server, release_all{}) == static_cast<std::size_t>(n));
  CHECK(test_util::eventually([&] { return destroyed->load() == n; }, 30s));
  CHECK(intact->load() == n);
  CHECK(stack_pool::read().restores - before.restores >= n - 10);
}

TEST_CASE("stack pool: an eviction copies a parked turn's frames up to the frames top only") {
  // What lies above the frames top (a fiber's record, alike for every fiber on the stack, and
  // the gap below it) stays on the stack. Every free stack is taken first, so that the next
  // turn needs an eviction.
  std::vector<otp::detail::stack_home*> taken;
  for (auto made = stack_pool::read().stacks; stack_pool::read().stacks == made;)
    taken.push_back(&stack_pool::acquire());
  auto& home = *taken.back();
  taken.pop_back();
  auto* top = static_cast<const std::byte*>(stack_pool::bounds(home).sp);
  CHECK(stack_pool::frames_top(home) == top);
  stack_pool::set_frames_top(home, top - 320);
  CHECK(stack_pool::frames_top(home) == top - 320);
  auto* frames = const_cast<std::byte*>(top - 1000);
  for (int i = 0; i < 680; ++i)
    frames[i] = static_cast<std::byte>(i);
  otp::detail::parked_turn turn;
  turn.home = &home;
  turn.sp = frames;
  stack_pool::park(turn);
  {
    stack_limit limit{0};
    auto before = stack_pool::read();
    auto& next = stack_pool::acquire();
    CHECK(&next == &home);
    CHECK(stack_pool::read().evicted_bytes - before.evicted_bytes == 680);
    std::fill_n(frames, 680, std::byte{0xee});  // the next turn's frames
    stack_pool::release(next);
  }
  REQUIRE(stack_pool::reclaim(turn));
  bool intact = true;
  for (int i = 0; i < 680; ++i)
    intact = intact && frames[i] == static_cast<std::byte>(i);
  CHECK(intact);
  stack_pool::release(home);
  for (auto* h : taken)
    stack_pool::release(*h);
}

TEST_CASE("stack pool: a process killed while its frames are on the heap unwinds them") {
  stack_limit limit{1};
  otp::node node{threads(1)};
  auto hole = gen_server::start<answer_later>(node).value();  // never answers
  auto intact = std::make_shared<std::atomic<int>>(0);
  auto destroyed = std::make_shared<std::atomic<int>>(0);
  auto before = stack_pool::read();
  std::vector<otp::server_ref<frame_keeper>> keepers;
  for (int i = 0; i < 20; ++i) {
    keepers.push_back(gen_server::start<frame_keeper>(node, hole, intact, destroyed).value());
    gen_server::cast(keepers.back(), go{i});
  }
  REQUIRE(test_util::eventually([&] { return gen_server::call(hole, how_many{}) == 20u; }));
  // The stacks earlier tests left free are used first; the rest went to the heap.
  CHECK(stack_pool::read().evictions - before.evictions >= 10);
  for (auto& k : keepers)
    otp::exit(k, otp::exit_reason::kill());
  for (auto& k : keepers) {
    auto reason = otp::await_exit(k, 10s);
    REQUIRE(reason.has_value());
    CHECK(*reason == otp::exit_reason::killed());
  }
  CHECK(destroyed->load() == 20);  // every stack unwound, from the heap or from its stack
  CHECK(intact->load() == 0);      // no wait ended with an answer
}

namespace {

struct block_once {};

/// A plain process's frames live on its stack for its whole life: they move too.
void plain_waiter(otp::pid server, std::shared_ptr<std::atomic<int>> intact) {
  std::array<long, 32> mine{};
  std::iota(mine.begin(), mine.end(), 7L);
  auto answer =
    gen_server::call(otp::server_ref<answer_later>{std::move(server)}, get_answer{}, 10s);
  if (answer == 42 && std::accumulate(mine.begin(), mine.end(), 0L) == 32 * 7 + 496)
    ++*intact;
}

}  // namespace

TEST_CASE("stack pool: plain processes waiting beyond the limit keep their frames") {
  stack_limit limit{2};
  otp::node node{threads(2)};
  auto server = gen_server::start<answer_later>(node).value();
  auto intact = std::make_shared<std::atomic<int>>(0);
  constexpr int n = 100;
  for (int i = 0; i < n; ++i)
    otp::spawn(node, [server, intact] { plain_waiter(server, intact); });
  REQUIRE(test_util::eventually(
    [&] { return gen_server::call(server, how_many{}) == static_cast<std::size_t>(n); }, 30s));
  CHECK(gen_server::call(server, release_all{}) == static_cast<std::size_t>(n));
  CHECK(test_util::eventually([&] { return intact->load() == n; }, 30s));
}

TEST_CASE("stack pool: 40,000 processes wait at once, more than stacks could be mapped for") {
  // Each stack is two kernel mappings and Linux allows 65,530: without moving frames off
  // their stacks, a program could not have more than ~32,000 processes waiting.
  otp::node node{threads(2)};
  auto server = gen_server::start<answer_later>(node).value();
  auto intact = std::make_shared<std::atomic<int>>(0);
  auto destroyed = std::make_shared<std::atomic<int>>(0);
  constexpr int n = 40'000;
  std::vector<otp::server_ref<frame_keeper>> keepers;
  keepers.reserve(n);
  for (int i = 0; i < n; ++i) {
    keepers.push_back(gen_server::start<frame_keeper>(node, server, intact, destroyed).value());
    gen_server::cast(keepers.back(), go{i});
  }
  REQUIRE(test_util::eventually(
    [&] { return gen_server::call(server, how_many{}) == static_cast<std::size_t>(n); }, 60s));
  CHECK(stack_pool::read().stacks < 1000);
  CHECK(gen_server::call(server, release_all{}) == static_cast<std::size_t>(n));
  CHECK(test_util::eventually([&] { return intact->load() == n; }, 60s));
}
