#pragma once

#include "net/connection.hpp"
#include "net/io_pool.hpp"
#include "net/listen_socket.hpp"
#include "net/listener_reports.hpp"
#include "otp/net/listener.hpp"
#include "otp/pid.hpp"
#include "otp/supervisor.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace otp::net::detail {

/// Where a listener's parts are (Ranch's `ranch_server` for one listener): each part's start
/// function writes its pid here, and the later siblings read it. Written by the listener's
/// supervisor, read by the owner and the acceptors, hence the lock.
class listener_parts {
 public:
  sup_ref connections() const {
    std::lock_guard lock{mutex_};
    return connections_;
  }
  otp::pid owner() const {
    std::lock_guard lock{mutex_};
    return owner_;
  }
  void set_connections(sup_ref s) {
    std::lock_guard lock{mutex_};
    connections_ = std::move(s);
  }
  void set_owner(otp::pid p) {
    std::lock_guard lock{mutex_};
    owner_ = std::move(p);
  }

 private:
  mutable std::mutex mutex_;
  sup_ref connections_;
  otp::pid owner_;
};

/// The time a listener spent at max_connections, in one word, so that a reader on another
/// thread never sees half an update: while not full, the total in nanoseconds (>= 0); while
/// full since S (a steady-clock time), total - S, negative, since the total is less than the
/// clock's time at which the listener filled. Written by the owner only, read by anyone.
class full_time {
 public:
  static std::int64_t now() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
  }
  bool full() const { return word_.load(std::memory_order_relaxed) < 0; }
  void enter(std::int64_t t) { add(-t); }
  void leave(std::int64_t t) { add(t); }
  /// The total at `t`, the current stay included.
  std::int64_t at(std::int64_t t) const {
    auto w = word_.load(std::memory_order_relaxed);
    return w < 0 ? w + t : w;
  }

 private:
  void add(std::int64_t d) {  // one writer: a load and a store, no locked instruction
    word_.store(word_.load(std::memory_order_relaxed) + d, std::memory_order_relaxed);
  }
  std::atomic<std::int64_t> word_{0};
};

/// The owner's counts, copied for whoever watches the node (the observer's reporter, on its
/// own thread): it must not ask the owner, which may be busy or waiting. Kept across the
/// owner's restarts, with the listener.
struct listener_figures {
  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> free_acceptors{0};
  std::atomic<std::uint64_t> accepted{0};
  /// Times the listener reached max_connections, and the time it spent there.
  std::atomic<std::uint64_t> limit_reached{0};
  full_time at_limit;
};

/// What a listener's processes share: the listen sockets, the I/O threads, the options.
/// Owned by the listener's supervisor (in its children's start functions) and its processes;
/// the connections only keep the I/O threads.
struct listener_shared {
  std::shared_ptr<io_pool> io;
  std::vector<std::shared_ptr<listen_socket>> sockets;
  listener_options options;
  connection_options connection;
  std::shared_ptr<const handler_start> handler;
  const handler_table* table = nullptr;
  std::atomic<std::uint64_t> accept_errors{0};
  listener_figures figures;
  listener_parts parts;
  /// Last, so that it goes first: the listener leaves its node's report before the rest.
  std::optional<listener_reporting> reporting;
};

}  // namespace otp::net::detail
