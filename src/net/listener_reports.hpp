#pragma once

#include "otp/node.hpp"

#include <string>

namespace otp::net::detail {

struct listener_shared;

/// A listener's place in its node's report (runtime/node_reports.hpp: what the observer
/// shows per listener). The report is read on the watcher's thread from what the listener keeps
/// anyway (the owner's counts copied into atomics, the listen sockets' kernel queues), never by
/// asking a listener process, which may be busy or waiting. Held by the listener's shared state
/// and destroyed first with it: the listener leaves the report before its parts go.
class listener_reporting {
 public:
  listener_reporting(const node& n, const listener_shared& shared, std::string name);
  ~listener_reporting();
  listener_reporting(const listener_reporting&) = delete;
  listener_reporting& operator=(const listener_reporting&) = delete;

 private:
  const node* node_;
  const listener_shared* shared_;
};

}  // namespace otp::net::detail
