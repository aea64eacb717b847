#pragma once

// What the layers above the runtime report about a node to whoever watches it (the observer),
// without the watcher linking them: distribution its connected nodes, the socket server its
// listeners. A layer sets its reporter while it runs on the node and clears it when it stops;
// a reporter runs on the watcher's thread, must not block, and reads only what is safe there.

#include "otp/node.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace otp::detail {

/// A connected node. The figures the carrier cannot give are empty (a Unix socket keeps no
/// byte counts or receive times).
struct peer_report {
  std::string name = {};
  std::string via = {};  ///< the carrier: tcp or uds
  std::chrono::milliseconds connected_for{0};
  std::optional<std::uint64_t> bytes_in = {};   ///< received since the connection opened
  std::optional<std::uint64_t> bytes_out = {};  ///< sent and acknowledged
  /// Since the peer last sent anything (ticks included): past tick_time, it is dropped.
  std::optional<std::chrono::milliseconds> last_heard = {};
};

struct dist_report {
  std::string self = {};
  std::chrono::milliseconds tick_time{0};
  std::vector<peer_report> peers = {};
};

/// A listener of the socket server (reported by the net layer while listeners run). At
/// max_connections no acceptor waits: new clients queue in the kernel's backlog (`queued`),
/// and once it is full the kernel drops their connection attempts (`backlog_drops`), which
/// the clients' TCP retries.
struct listener_report {
  std::string name = {};  ///< the registered name, else the bound address
  std::size_t connections = 0;
  std::size_t free_acceptors = 0;
  std::optional<std::size_t> max_connections = {};  ///< empty: unlimited
  std::uint64_t accepted = 0;
  std::size_t queued = 0;  ///< clients waiting in the backlog to be accepted (TCP)
  /// SYNs and handshake ACKs the kernel dropped at a full backlog (TCP): a client counts once
  /// per attempt, its retries included.
  std::uint64_t backlog_drops = 0;
  /// Times the listener reached max_connections (from below: it stays there until one closes).
  std::uint64_t limit_reached = 0;
  /// Time spent at max_connections, the current stay included; never decreases.
  std::chrono::nanoseconds full_time{0};
};

using dist_reporter = std::function<dist_report()>;
using listener_reporter = std::function<std::vector<listener_report>()>;

/// Sets (or, given an empty function, clears) the node's reporter; thread-safe.
void set_dist_reporter(const node& n, dist_reporter f);
void set_listener_reporter(const node& n, listener_reporter f);

/// Nothing while no reporter is set (distribution not running).
std::optional<dist_report> report_dist(const node& n);
std::vector<listener_report> report_listeners(const node& n);

}  // namespace otp::detail
