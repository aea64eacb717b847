// The tally service as a supervision tree: a supervisor over the counters and the listener
// whose connections call them.
#pragma once

#include "counters.hpp"
#include "line_handler.hpp"

#include <otp/net/listener.hpp>
#include <otp/supervisor.hpp>

#include <chrono>

namespace tally {

/// A supervisor module: `otp::supervisor::start_link<service>(node, address)` runs `init`
/// inside the new supervisor.
struct service {
  otp::sup_spec init(const otp::net::endpoint& address) {
    otp::net::listener_options listen{
      .address = address,
      .idle_timeout = std::chrono::minutes{5},  // drop clients silent for 5 minutes
      .framing = {.packet = otp::net::packet::line, .max_size = 1024},  // a request per line
    };
    // one_for_one: a crashed counters server is restarted alone (empty) and the connections
    // find it again by its name; more than 3 restarts in 10 s and the whole service stops.
    return {
      .flags = {.strategy = otp::strategy::one_for_one,
                .intensity = 3,
                .period = std::chrono::seconds{10}},
      .children = {counters_child(), otp::net::listener_spec<line_handler>("listener", listen)}};
  }
};

}  // namespace tally
