#pragma once

// Tiny gen_servers for the observer's tests.

#include <otp/gen_server.hpp>

#include <stdexcept>

namespace observer_test {

struct ping {};
struct boom {};

/// Answers pings; a boom crashes it.
struct pinger {
  int pings = 0;
  int handle_call(const ping&) { return ++pings; }
  void handle_cast(const boom&) { throw std::runtime_error("boom"); }
};

}  // namespace observer_test
