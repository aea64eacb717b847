#include "term/block_pool.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>
#include <string_view>
#include <utility>

#if defined(__SANITIZE_ADDRESS__)
#define OTP_POOL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OTP_POOL_ASAN 1
#endif
#endif
#ifdef OTP_POOL_ASAN
#include <sanitizer/asan_interface.h>
constexpr bool asan_enabled = true;
#else
constexpr bool asan_enabled = false;
#endif

namespace otp::detail {

namespace {

class pool;

// The start of every block. The caller's bytes begin at `next`, which links the block while it
// is free; `owner` and `cls` stay as they were set when the block was made.
struct block {
  pool* owner;  // nullptr: plain malloc, freed as such
  std::uint32_t cls;
  block* next;
};
constexpr std::size_t header_size = 16;  // keeps the caller's bytes 16-byte aligned
static_assert(offsetof(block, next) == header_size);

constexpr std::size_t min_shift = 6;               // the smallest class: 64 bytes
constexpr std::size_t max_pooled = 64 * 1024;      // larger blocks are plain malloc
constexpr std::size_t classes = 1 + (16 - 6) * 4;  // 64, then four a power of two to 64 KiB
constexpr std::size_t cached_bytes = std::size_t{1} << 20;  // kept free per class and thread

/// The class of a block of `s` bytes (header included, at most max_pooled): 64, 80, 96, 112,
/// 128, 160, ..., 64 KiB, a quarter of a power of two apart, so at most a fifth is unused.
std::size_t class_of(std::size_t s) noexcept {
  if (s <= (std::size_t{1} << min_shift))
    return 0;
  auto p = static_cast<std::size_t>(std::bit_width(s - 1) - 1);  // 2^p < s <= 2^(p+1)
  auto step = std::size_t{1} << (p - 2);
  auto k = (s - (std::size_t{1} << p) + step - 1) / step;  // 1..4
  return 1 + (p - min_shift) * 4 + (k - 1);
}

std::size_t class_size(std::size_t c) noexcept {
  if (c == 0)
    return std::size_t{1} << min_shift;
  auto p = min_shift + (c - 1) / 4;
  auto k = (c - 1) % 4 + 1;
  return (std::size_t{1} << p) + k * (std::size_t{1} << (p - 2));
}

void* payload(block* b) noexcept {
  return reinterpret_cast<char*>(b) + header_size;
}
block* block_of(void* p) noexcept {
  return static_cast<block*>(static_cast<void*>(static_cast<char*>(p) - header_size));
}

// Under ASan a free block's bytes are poisoned (its link excepted), so a use after free is
// still caught although the memory stays in the pool.
void poison(block* b) noexcept {
#ifdef OTP_POOL_ASAN
  auto* from = reinterpret_cast<char*>(b) + sizeof(block);
  ASAN_POISON_MEMORY_REGION(from, class_size(b->cls) - sizeof(block));
#else
  static_cast<void>(b);
#endif
}
void unpoison(block* b) noexcept {
#ifdef OTP_POOL_ASAN
  ASAN_UNPOISON_MEMORY_REGION(b, class_size(b->cls));
#else
  static_cast<void>(b);
#endif
}

block* make_block(std::size_t bytes, pool* owner, std::uint32_t cls) {
  auto* b = static_cast<block*>(std::malloc(bytes));
  if (b == nullptr)
    throw std::bad_alloc{};
  b->owner = owner;
  b->cls = cls;
  return b;
}

/// One thread's free blocks, and the lists other threads give its blocks back on.
class pool {
 public:
  void* allocate(std::size_t cls) {
    if (free_[cls] == nullptr)
      collect(cls);
    block* b = free_[cls];
    if (b == nullptr)
      return payload(make_block(class_size(cls), this, static_cast<std::uint32_t>(cls)));
    unpoison(b);
    free_[cls] = b->next;
    // The next block was most likely last touched on another core (freed there): its line is
    // fetched now, not when the next allocation needs it.
    __builtin_prefetch(b->next);
    if (count_[cls] > 0)  // it lags the list when a remote free was counted late
      --count_[cls];
    return payload(b);
  }

  /// On the owning thread: kept for the next allocation, or back to malloc when the class
  /// holds enough.
  void release(block* b) noexcept {
    auto cls = b->cls;
    if ((count_[cls] + 1) * class_size(cls) > cached_bytes) {
      std::free(b);
      return;
    }
    b->next = free_[cls];
    free_[cls] = b;
    ++count_[cls];
    poison(b);
  }

  /// From any other thread: pushed on the remote list of its class, which the owner takes as
  /// it is (a list of one size class needs no sorting, so the owner touches no block for it).
  void release_remote(block* b) noexcept {
    auto& head = remote_[b->cls];
    auto* h = head.load(std::memory_order_relaxed);
    do {
      b->next = h;
    } while (
      !head.compare_exchange_weak(h, b, std::memory_order_release, std::memory_order_relaxed));
    remote_count_[b->cls].fetch_add(1, std::memory_order_relaxed);
  }

  /// The owning thread ends: its free blocks go back to malloc, and the pool waits for the
  /// next thread (blocks still out come back to it on the remote lists meanwhile).
  void abandon() noexcept {
    for (std::size_t cls = 0; cls < classes; ++cls) {
      free_all(cls);  // the local list first: collect() replaces it
      collect(cls);
      free_all(cls);
    }
    idle_.store(true, std::memory_order_release);
  }

  bool adopt() noexcept {
    bool idle = true;
    return idle_.compare_exchange_strong(idle, false, std::memory_order_acquire);
  }

  pool* next_in_registry = nullptr;  // set once, before the pool is published

 private:
  void free_all(std::size_t cls) noexcept {
    while (free_[cls] != nullptr) {
      auto* b = free_[cls];
      unpoison(b);
      free_[cls] = b->next;
      std::free(b);
    }
    count_[cls] = 0;
  }

  /// Takes back the blocks of class `cls` other threads gave back, in one exchange, as the
  /// local list, which must be empty. Beyond `cached_bytes`, the excess goes back to malloc.
  void collect(std::size_t cls) noexcept {
    auto* list = remote_[cls].exchange(nullptr, std::memory_order_acquire);
    if (list == nullptr)
      return;
    // The count may lag the list by a push under way; it only bounds what is kept.
    auto n = remote_count_[cls].exchange(0, std::memory_order_relaxed);
    free_[cls] = list;
    count_[cls] = n;
    auto keep = std::max<std::size_t>(cached_bytes / class_size(cls), 1);
    while (count_[cls] > keep && free_[cls] != nullptr) {
      auto* b = free_[cls];
      free_[cls] = b->next;
      --count_[cls];
      std::free(b);
    }
    for (auto* b = free_[cls]; asan_enabled && b != nullptr; b = b->next)
      poison(b);
  }

  std::array<block*, classes> free_{};
  std::array<std::size_t, classes> count_{};
  std::array<std::atomic<block*>, classes> remote_{};
  std::array<std::atomic<std::size_t>, classes> remote_count_{};
  std::atomic<bool> idle_{false};
};

// Every pool ever made, never freed: a block may come back after its thread ended, even
// while statics are destroyed. A trivially destructible list, so it outlives them all.
constinit std::atomic<pool*> registry{nullptr};

pool* adopt_or_make() {
  for (auto* p = registry.load(std::memory_order_acquire); p != nullptr; p = p->next_in_registry)
    if (p->adopt())
      return p;
  auto* p = std::make_unique<pool>().release();  // immortal, reachable from the registry
  p->next_in_registry = registry.load(std::memory_order_relaxed);
  while (!registry.compare_exchange_weak(p->next_in_registry, p, std::memory_order_release,
                                         std::memory_order_relaxed)) {
  }
  return p;
}

// The calling thread's pool. A raw pointer (trivially destructible), so it can be read in
// any destructor; `thread_end` hands the pool on when the thread ends and clears it, after
// which the thread's frees are remote ones and its allocations plain malloc.
thread_local pool* current = nullptr;
thread_local bool ended = false;

struct thread_end {
  bool armed = false;
  ~thread_end() {
    ended = true;
    if (auto* p = std::exchange(current, nullptr))
      p->abandon();
  }
};
thread_local thread_end end_guard;

/// OTP_BLOCK_POOL=off: every block is plain malloc (to measure what the pool saves, or to
/// rule it out).
bool pool_enabled() {
  const char* v = std::getenv("OTP_BLOCK_POOL");
  return v == nullptr || std::string_view{v} != "off";
}

pool* this_thread_pool() {
  static const bool enabled = pool_enabled();
  if (current != nullptr || ended || !enabled)
    return current;
  end_guard.armed = true;  // constructs it, so that it runs at the thread's end
  current = adopt_or_make();
  return current;
}

}  // namespace

void* pool_allocate(std::size_t n) {
  auto total = n + header_size;
  pool* p = total <= max_pooled ? this_thread_pool() : nullptr;
  if (p == nullptr)
    return payload(make_block(total, nullptr, 0));
  return p->allocate(class_of(total));
}

void pool_deallocate(void* ptr) noexcept {
  if (ptr == nullptr)
    return;
  auto* b = block_of(ptr);
  if (b->owner == nullptr)
    std::free(b);
  else if (b->owner == current)
    b->owner->release(b);
  else
    b->owner->release_remote(b);
}

}  // namespace otp::detail
