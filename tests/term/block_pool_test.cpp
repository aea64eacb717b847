// The pool behind terms' shared parts (term/block_pool.hpp): a block comes back to the thread
// that allocated it, whichever thread frees it, and stays valid after that thread ended.

#include "term/block_pool.hpp"

#include <otp/term.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

using otp::detail::pool_allocate;
using otp::detail::pool_deallocate;

TEST_CASE("block_pool: a block freed on its own thread is the next one of its size") {
  auto* a = pool_allocate(4096);
  std::memset(a, 1, 4096);
  pool_deallocate(a);
  auto* b = pool_allocate(4100);  // the same class (with the 16-byte header, up to 5 KiB)
  CHECK(b == a);
  pool_deallocate(b);
}

TEST_CASE("block_pool: a block freed by another thread comes back to its owner") {
  // A size no other test uses (28-32 KiB), so that this thread has no free block of it.
  auto* a = pool_allocate(30'000);
  std::thread{[a] { pool_deallocate(a); }}.join();
  auto* b = pool_allocate(30'000);  // the local list is empty: the remote one is collected
  CHECK(b == a);
  pool_deallocate(b);
}

TEST_CASE("block_pool: blocks are aligned and hold what is written, small to large") {
  std::vector<void*> blocks;
  for (std::size_t n : {0, 1, 8, 48, 49, 63, 64, 100, 1000, 4096, 5000, 65'000, 70'000, 1 << 20}) {
    auto* p = pool_allocate(n);
    CHECK(reinterpret_cast<std::uintptr_t>(p) % 16 == 0);
    std::memset(p, 0xab, n);
    blocks.push_back(p);
  }
  for (auto* p : blocks)
    pool_deallocate(p);
}

TEST_CASE("block_pool: blocks outlive the thread that allocated them") {
  std::vector<void*> blocks;
  std::thread{[&] {
    for (int i = 0; i < 100; ++i)
      blocks.push_back(pool_allocate(64 + static_cast<std::size_t>(i) * 50));
  }}.join();
  // Its pool waits for the next thread; the blocks go back on its remote list meanwhile.
  for (auto* p : blocks)
    pool_deallocate(p);
  std::thread{[] {
    auto* p = pool_allocate(100);  // a thread that adopts the pool takes them back
    pool_deallocate(p);
  }}.join();
}

TEST_CASE("block_pool: binaries made on one thread and dropped on another, in a stream") {
  // The distribution's pattern: one thread decodes, another frees (run under ASan too).
  constexpr int n = 20'000;
  std::vector<otp::term> made(n);
  std::atomic<int> ready{0};
  std::thread producer{[&] {
    std::string bytes(4096, 'x');
    for (int i = 0; i < n; ++i) {
      bytes[0] = static_cast<char>(i);
      made[static_cast<std::size_t>(i)] = otp::term::tuple({i, otp::term::binary(bytes)});
      ready.store(i + 1, std::memory_order_release);
    }
  }};
  int checked = 0;
  while (checked < n) {
    auto upto = ready.load(std::memory_order_acquire);
    for (; checked < upto; ++checked) {
      auto& t = made[static_cast<std::size_t>(checked)];
      auto bytes = t[1].binary_bytes();
      REQUIRE(bytes.size() == 4096);
      CHECK(bytes[0] == static_cast<std::uint8_t>(checked));
      t = otp::term{};  // freed here, allocated there
    }
  }
  producer.join();
}
