#include "runtime/exception_state.hpp"

#include <cxxabi.h>

namespace otp::detail {

namespace {

// The Itanium C++ ABI's per-thread globals, as libstdc++ (unwind-cxx.h) and libc++abi
// (cxa_exception.h) both lay them out.
struct eh_globals {
  void* caught_exceptions;
  unsigned int uncaught_exceptions;
};

/// This thread's globals. `__cxa_get_globals` is declared `const`, so a caller could reuse its
/// answer across a switch to another thread: out of line, behind a compiler barrier, each call
/// asks again on the thread that runs it. Their address is asked once per thread and kept in a
/// thread-local of our own: the runtime's lives in a shared library, where each access is a
/// call to `__tls_get_addr`, and every process switch makes four.
[[gnu::noinline]] eh_globals& this_thread() noexcept {
  thread_local eh_globals* globals = nullptr;
  auto** slot = &globals;
  asm volatile("" : "+r"(slot)::"memory");
  if (*slot == nullptr)
    *slot = reinterpret_cast<eh_globals*>(abi::__cxa_get_globals());
  return **slot;
}

}  // namespace

exception_state exception_state::take() noexcept {
  auto& g = this_thread();
  exception_state s;
  s.handled_ = g.caught_exceptions;
  s.in_flight_ = g.uncaught_exceptions;
  g.caught_exceptions = nullptr;
  g.uncaught_exceptions = 0;
  return s;
}

void exception_state::restore() const noexcept {
  auto& g = this_thread();
  g.caught_exceptions = handled_;
  g.uncaught_exceptions = in_flight_;
}

}  // namespace otp::detail
