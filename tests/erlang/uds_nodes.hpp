#pragma once

// caf-otp nodes on Erlang's distribution over Unix sockets, for the tests: a fresh node
// directory and a node started in it.

#include "otp/dist/erlang.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <string>

#include <unistd.h>

namespace test_erl {

/// A fresh node directory, removed at the end.
struct node_dir {
  std::string path;
  node_dir() {
    char pattern[] = "/tmp/erl-uds-XXXXXX";
    path = ::mkdtemp(pattern);
  }
  ~node_dir() { std::filesystem::remove_all(path); }
};

inline otp::dist::erlang::options uds_options(const node_dir& d, const std::string& name,
                                              const std::string& cookie) {
  otp::dist::erlang::options o;
  o.name = name;
  o.cookie = cookie;
  o.carrier = otp::dist::erlang::options::carrier_type::uds;
  o.directory = d.path;
  return o;
}

inline std::unique_ptr<otp::dist::erlang::distribution> start_uds(otp::node& n, const node_dir& d,
                                                                  const std::string& name,
                                                                  const std::string& cookie = "c") {
  auto started = otp::dist::erlang::distribution::start(n, uds_options(d, name, cookie));
  REQUIRE_MESSAGE(started.has_value(),
                  fmt::format("{}", started ? otp::dist::dist_error{} : started.error()));
  return std::move(*started);
}

}  // namespace test_erl
