#pragma once

// A caf-otp node on Erlang's distribution for the interoperability tests, registered with the
// test's own epmd (erl_node.hpp), and this machine's short host name as `erl -sname` uses it.

#include "erl_node.hpp"

#include "otp/dist/erlang.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <chrono>
#include <memory>
#include <string>

namespace test_erl {

inline std::string host() {
  char buffer[256] = {};
  ::gethostname(buffer, sizeof buffer - 1);
  std::string h{buffer};
  return h.substr(0, h.find('.'));
}

/// A caf-otp node with Erlang distribution registered with `e`.
struct cpp_node {
  otp::node node;
  std::unique_ptr<otp::dist::erlang::distribution> dist;

  cpp_node(const test_erl::epmd& e, std::string name, std::string cookie,
           std::chrono::milliseconds tick = std::chrono::seconds{60}) {
    otp::dist::erlang::options o;
    o.name = std::move(name);
    o.cookie = std::move(cookie);
    o.epmd_port = e.port();
    o.tick_time = tick;
    auto started = otp::dist::erlang::distribution::start(node, o);
    REQUIRE_MESSAGE(started.has_value(), fmt::format("{}", started.error()));
    dist = std::move(*started);
  }
};

}  // namespace test_erl

#define SKIP_WITHOUT_ERL()                                \
  if (!test_erl::available()) {                           \
    MESSAGE("erl or epmd missing (erlang-nox): skipped"); \
    return;                                               \
  }
