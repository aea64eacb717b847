#pragma once

// Runs a function in a process of a node and hands its result to the test's thread: for what
// only a process may do (calls that wait, monitors, links).

#include "otp/spawn.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <future>

namespace test_erl {

/// Runs `f` in a new process of `n` and returns what it returns (20 s at most).
template <class F>
auto in_process(otp::node& n, F f) {
  std::promise<decltype(f())> done;
  otp::spawn(n, [&] { done.set_value(f()); });
  auto r = done.get_future();
  REQUIRE(r.wait_for(std::chrono::seconds{20}) == std::future_status::ready);
  return r.get();
}

}  // namespace test_erl
