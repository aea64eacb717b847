#pragma once

// What the tests of Erlang's distribution see of its state: the I/O thread to hold or ask, the
// tables that must be empty once calls are over.

#include "dist/erlang/kernel.hpp"

#include <chrono>
#include <future>
#include <stdexcept>

namespace otp::dist::erlang {

struct distribution_access {
  static distribution::impl& of(distribution& d) { return *d.impl_; }
};

}  // namespace otp::dist::erlang

namespace test_erl {

/// `f()` run on `d`'s I/O thread (where its tables live), waited for.
template <class F>
auto on_io_thread(otp::dist::erlang::distribution& d, F f) {
  auto& i = otp::dist::erlang::distribution_access::of(d);
  std::promise<decltype(f(i))> done;
  i.post([&] { done.set_value(f(i)); });
  auto r = done.get_future();
  if (r.wait_for(std::chrono::seconds{5}) != std::future_status::ready)
    throw std::runtime_error("the I/O thread did not answer");
  return r.get();
}

}  // namespace test_erl
