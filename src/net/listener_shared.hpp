#pragma once

#include "net/connection.hpp"
#include "net/io_pool.hpp"
#include "net/listen_socket.hpp"
#include "otp/net/listener.hpp"

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

namespace otp::net::detail {

/// What a listener and its acceptors share. Owned by the listener and its acceptors; the
/// connections only keep the I/O threads.
struct listener_shared {
  std::shared_ptr<io_pool> io;
  std::vector<std::shared_ptr<listen_socket>> sockets;
  listener_options options;
  connection_options connection;
  std::shared_ptr<const handler_start> handler;
  const handler_table* table = nullptr;
  std::atomic<std::uint64_t> accept_errors{0};
};

}  // namespace otp::net::detail
