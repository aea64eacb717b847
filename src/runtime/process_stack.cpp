#include "runtime/process_stack.hpp"

#include <boost/context/protected_fixedsize_stack.hpp>

#include <vector>

namespace otp::detail {

namespace {

/// Enough for the processes one thread runs between two waits; more are unmapped.
constexpr std::size_t cache_limit = 16;

/// Whether this thread's cache exists: a stack freed while thread-locals end (an idle
/// process stack ending after the cache did) is unmapped instead.
thread_local bool cache_alive = false;

struct stack_cache {
  std::vector<boost::context::stack_context> free;
  stack_cache() { cache_alive = true; }
  stack_cache(const stack_cache&) = delete;
  stack_cache& operator=(const stack_cache&) = delete;
  ~stack_cache() {
    cache_alive = false;
    boost::context::protected_fixedsize_stack unmapper{process_stack::size};
    for (auto& sc : free)
      unmapper.deallocate(sc);
  }
};

thread_local stack_cache cache;

}  // namespace

boost::context::stack_context process_stack::allocate() {
  if (!cache.free.empty()) {
    auto sc = cache.free.back();
    cache.free.pop_back();
    return sc;
  }
  return boost::context::protected_fixedsize_stack{size}.allocate();
}

void process_stack::deallocate(boost::context::stack_context& sc) noexcept {
  // A stack freed on another thread than it came from joins this thread's cache.
  if (cache_alive && cache.free.size() < cache_limit) {
    try {
      cache.free.push_back(sc);
      return;
    } catch (...) {  // no memory for the cache: unmap it
    }
  }
  boost::context::protected_fixedsize_stack{size}.deallocate(sc);
}

std::size_t process_stack::cached() noexcept {
  return cache.free.size();
}

}  // namespace otp::detail
