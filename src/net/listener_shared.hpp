#pragma once

#include "net/connection.hpp"
#include "net/io_pool.hpp"
#include "net/listen_socket.hpp"
#include "net/listener_reports.hpp"
#include "otp/net/listener.hpp"
#include "otp/pid.hpp"
#include "otp/supervisor.hpp"

#include <atomic>
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

/// The owner's counts, copied for whoever watches the node (the observer's reporter, on its
/// own thread): it must not ask the owner, which may be busy or waiting.
struct listener_figures {
  std::atomic<std::size_t> connections{0};
  std::atomic<std::size_t> free_acceptors{0};
  std::atomic<std::uint64_t> accepted{0};
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
