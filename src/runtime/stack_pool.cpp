#include "runtime/stack_pool.hpp"

#include "runtime/spin_guard.hpp"

#include <boost/context/protected_fixedsize_stack.hpp>

#include <atomic>
#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#define OTP_ASAN_STACKS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define OTP_ASAN_STACKS 1
#endif
#endif
#ifdef OTP_ASAN_STACKS
#include <sanitizer/asan_interface.h>
#endif

namespace otp::detail {

class stack_home {
 public:
  explicit stack_home(boost::context::stack_context sc) noexcept : sc_(sc) {}
  stack_home(const stack_home&) = delete;
  stack_home& operator=(const stack_home&) = delete;
  ~stack_home() {
    boost::context::protected_fixedsize_stack{stack_pool::stack_size}.deallocate(sc_);
  }

  const boost::context::stack_context& bounds() const noexcept { return sc_; }
  /// The end of the frames an eviction copies (see stack_pool::set_frames_top).
  std::byte* top() const noexcept { return top_; }
  /// Set by the turn that runs on the stack: the lock that hands the stack on (park, release)
  /// publishes it to whoever evicts.
  void set_top(std::byte* top) noexcept { top_ = top; }

  /// Held for a few pointer moves and at most one copy of a parked turn's frames.
  class guard {
   public:
    explicit guard(stack_home& h) noexcept : lock_(h.lock_) {}
    guard(const guard&) = delete;
    guard& operator=(const guard&) = delete;

   private:
    spin_guard lock_;
  };
  bool try_lock() noexcept { return !lock_.test_and_set(std::memory_order_acquire); }
  void unlock() noexcept { lock_.clear(std::memory_order_release); }

  // Guarded by the lock:
  bool running = false;
  bool listed = false;              // in a free list (maybe stale: check when taken)
  parked_turn* resident = nullptr;  // a parked turn whose frames are on the stack
  parked_turn* waiters = nullptr;   // parked turns waiting for the stack to be free
  // Parked turns whose frames were moved off it. Changed under the lock; read without it by
  // `keep` (atomic for that).
  std::atomic<std::size_t> tenants{0};

 private:
  boost::context::stack_context sc_;
  std::byte* top_ = static_cast<std::byte*>(sc_.sp);
  std::atomic_flag lock_ = ATOMIC_FLAG_INIT;
};

namespace {

struct registry {
  std::mutex mutex;
  std::vector<std::unique_ptr<stack_home>> all;  // guarded by mutex; never shrinks
  std::vector<stack_home*> free;                 // guarded by mutex
  std::size_t cursor = 0;                        // where the next eviction looks first
  std::atomic<std::size_t> limit{256};
  std::atomic<std::size_t> stacks{0};
  std::atomic<std::size_t> evictions{0};
  std::atomic<std::size_t> restores{0};
  std::atomic<std::size_t> evicted_bytes{0};
};

registry& the_registry() {
  // Stacks outlive every node: a thread's cache may hand its stacks back at its exit.
  static registry r;
  return r;
}

/// Free stacks this thread released last: taken again first, while their pages are warm.
struct thread_cache {
  static constexpr std::size_t capacity = 4;
  std::vector<stack_home*> homes;
  thread_cache();
  thread_cache(const thread_cache&) = delete;
  thread_cache& operator=(const thread_cache&) = delete;
  ~thread_cache();
};

thread_local thread_cache cache;
/// Set once this thread's cache is gone (a turn released while thread-locals end): its
/// stacks then go to the shared list.
thread_local bool cache_gone = false;

thread_cache::thread_cache() {
  homes.reserve(capacity);
}

thread_cache::~thread_cache() {
  cache_gone = true;
  auto& r = the_registry();
  std::lock_guard lock{r.mutex};
  r.free.insert(r.free.end(), homes.begin(), homes.end());
}

std::vector<stack_home*>* this_thread_cache() noexcept {
  return cache_gone ? nullptr : &cache.homes;
}

void add_ref(std::atomic<std::size_t>& n) noexcept {
  n.fetch_add(1, std::memory_order_relaxed);
}

/// Copies between a stack and the heap. Frames carry AddressSanitizer's poisoned red zones:
/// the region is unpoisoned first (the frames copied back lose their red zones, not their
/// correctness).
void copy_frames(std::byte* to, const std::byte* from, std::size_t n) noexcept {
#ifdef OTP_ASAN_STACKS
  __asan_unpoison_memory_region(from, n);
  __asan_unpoison_memory_region(to, n);
#endif
  std::memcpy(to, from, n);
}

/// Moves the frames of the turn parked on `h` to the heap. `h` is locked and not running.
void evict(stack_home& h) {
  auto* turn = h.resident;
  auto size = static_cast<std::size_t>(h.top() - turn->sp);
  turn->image = std::make_unique_for_overwrite<std::byte[]>(size);
  copy_frames(turn->image.get(), turn->sp, size);
  h.resident = nullptr;
  ++h.tenants;
  add_ref(the_registry().evictions);
  the_registry().evicted_bytes.fetch_add(size, std::memory_order_relaxed);
}

/// Takes `h` for a new turn if it is free. `h` is locked.
bool take_if_free(stack_home& h) noexcept {
  h.listed = false;
  if (h.running || h.resident != nullptr)
    return false;  // reclaimed by a parked turn since it was listed
  h.running = true;
  return true;
}

stack_home* take_listed(std::vector<stack_home*>& list) noexcept {
  while (!list.empty()) {
    auto* h = list.back();
    list.pop_back();
    stack_home::guard g{*h};
    if (take_if_free(*h))
      return h;
  }
  return nullptr;
}

/// A parked turn's stack, its frames moved to the heap; null if every stack runs a turn.
stack_home* evict_one(registry& r) {
  auto n = r.all.size();
  for (std::size_t i = 0; i < n; ++i) {
    auto& h = *r.all[(r.cursor + i) % n];
    if (!h.try_lock())
      continue;
    if (!h.running && h.resident != nullptr) {
      try {
        evict(h);
      } catch (...) {
        h.unlock();
        throw;
      }
      h.running = true;
      h.unlock();
      r.cursor = (r.cursor + i + 1) % n;
      return &h;
    }
    h.unlock();
  }
  return nullptr;
}

stack_home& make_home(registry& r) {
  auto sc = boost::context::protected_fixedsize_stack{stack_pool::stack_size}.allocate();
  auto& h = *r.all.emplace_back(std::make_unique<stack_home>(sc));
  h.running = true;
  add_ref(r.stacks);
  return h;
}

/// Hands `h`, free now, to a free list, unless it is in one already. `h` is unlocked.
void list_free(stack_home& h, bool was_listed) noexcept {
  if (was_listed)
    return;
  if (auto* mine = this_thread_cache(); mine && mine->size() < thread_cache::capacity) {
    mine->push_back(&h);  // reserved: no allocation
    return;
  }
  auto& r = the_registry();
  try {
    std::lock_guard lock{r.mutex};
    r.free.push_back(&h);
  } catch (...) {  // no memory for the list: evictions will find it
    stack_home::guard g{h};
    h.listed = false;
  }
}

void reschedule_all(parked_turn* waiters) noexcept {
  while (waiters != nullptr) {
    auto* next = std::exchange(waiters->next_waiter, nullptr);
    waiters->reschedule(waiters->owner);
    waiters = next;
  }
}

}  // namespace

stack_home& stack_pool::acquire() {
  if (auto* mine = this_thread_cache())
    if (auto* h = take_listed(*mine))
      return *h;
  auto& r = the_registry();
  std::lock_guard lock{r.mutex};
  if (auto* h = take_listed(r.free))
    return *h;
  if (r.all.size() < r.limit.load(std::memory_order_relaxed))
    return make_home(r);
  if (auto* h = evict_one(r))
    return *h;
  return make_home(r);  // every stack runs a turn: the limit gives way
}

boost::context::stack_context stack_pool::bounds(const stack_home& home) noexcept {
  return home.bounds();
}

const std::byte* stack_pool::frames_top(const stack_home& home) noexcept {
  return home.top();
}

void stack_pool::set_frames_top(stack_home& home, const std::byte* top) noexcept {
  auto* bottom = static_cast<const std::byte*>(home.bounds().sp) - home.bounds().size;
  if (top > bottom && top <= home.top())  // only ever lowered: more is always safe to copy
    home.set_top(const_cast<std::byte*>(top));
}

void stack_pool::release(stack_home& home) noexcept {
  parked_turn* waiters = nullptr;
  bool was_listed = false;
  {
    stack_home::guard g{home};
    home.running = false;
    waiters = std::exchange(home.waiters, nullptr);
    was_listed = std::exchange(home.listed, true);
  }
  list_free(home, was_listed);
  reschedule_all(waiters);
}

bool stack_pool::keep(stack_home& home) noexcept {
  // No lock, on every turn's end: while a turn runs on `home`, nothing can move frames off it
  // (only a stack without a running turn gives up its resident), so its tenants only go down,
  // and only tenants wait for it. A stale count above zero just gives the stack back.
  return home.tenants.load(std::memory_order_relaxed) == 0;
}

void stack_pool::park(parked_turn& turn) noexcept {
  parked_turn* waiters = nullptr;
  {
    stack_home::guard g{*turn.home};
    turn.home->running = false;
    turn.home->resident = &turn;
    waiters = std::exchange(turn.home->waiters, nullptr);
  }
  reschedule_all(waiters);
}

bool stack_pool::reclaim(parked_turn& turn) {
  auto& h = *turn.home;
  stack_home::guard g{h};
  if (h.running) {
    turn.next_waiter = h.waiters;
    h.waiters = &turn;
    return false;
  }
  if (h.resident != &turn) {
    if (h.resident != nullptr)
      evict(h);
    copy_frames(const_cast<std::byte*>(turn.sp), turn.image.get(),
                static_cast<std::size_t>(h.top() - turn.sp));
    turn.image.reset();
    --h.tenants;
    add_ref(the_registry().restores);
  }
  h.resident = nullptr;
  h.running = true;
  return true;
}

void stack_pool::abandon(parked_turn& turn) noexcept {
  auto& h = *turn.home;
  bool freed = false;
  bool was_listed = false;
  {
    stack_home::guard g{h};
    for (auto** w = &h.waiters; *w != nullptr; w = &(*w)->next_waiter)
      if (*w == &turn) {
        *w = turn.next_waiter;
        break;
      }
    if (h.resident == &turn) {
      h.resident = nullptr;
      freed = !h.running;
      if (freed)
        was_listed = std::exchange(h.listed, true);
    } else if (turn.image) {
      --h.tenants;
    }
  }
  turn.image.reset();
  if (freed)
    list_free(h, was_listed);
}

void stack_pool::set_limit(std::size_t stacks) noexcept {
  the_registry().limit.store(stacks, std::memory_order_relaxed);
}

stack_pool::figures stack_pool::read() noexcept {
  auto& r = the_registry();
  return {r.stacks.load(std::memory_order_relaxed), r.evictions.load(std::memory_order_relaxed),
          r.restores.load(std::memory_order_relaxed),
          r.evicted_bytes.load(std::memory_order_relaxed)};
}

}  // namespace otp::detail
