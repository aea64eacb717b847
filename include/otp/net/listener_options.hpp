#pragma once

#include "otp/net/endpoint.hpp"
#include "otp/net/framing.hpp"
#include "otp/timeout.hpp"

#include <chrono>
#include <cstddef>
#include <limits>
#include <string>

namespace otp::net {

/// No limit, for `max_connections`.
inline constexpr std::size_t unlimited = std::numeric_limits<std::size_t>::max();

/// A listener's options (Ranch's transport and protocol options, gen_tcp's listen options).
struct listener_options {
  /// Where to listen; port 0 picks an ephemeral port (`listener::address()` tells which).
  endpoint address = endpoint::tcp("0.0.0.0", 0);
  /// The kernel's queue of connections not yet accepted (listen(2)'s backlog).
  int backlog = 1024;
  /// Acceptor processes waiting for a connection at any time (Erlang's classic pool has 20; Ranch's
  /// default is 10, and so is ours). An acceptor that accepted hands the socket to a new handler
  /// process under the connections' supervisor and ends; the owner starts a replacement.
  std::size_t num_acceptors = 10;
  /// A hard limit: never more live connections than this. At the limit no acceptor waits, so
  /// new clients queue in the kernel's backlog (their handshake completes, nothing is read)
  /// and are accepted, oldest first, as connections close; once the backlog is full the
  /// kernel drops new connection attempts and clients retry.
  std::size_t max_connections = 1024;
  /// Listen sockets bound to the same address with SO_REUSEPORT; the kernel spreads new
  /// connections over them, each with its own I/O thread when `io_threads` allows.
  std::size_t num_listen_sockets = 1;
  /// Set SO_REUSEPORT even with one listen socket (to share the port with another process).
  bool reuse_port = false;
  /// TCP_NODELAY on accepted TCP connections.
  bool nodelay = true;
  /// Close a connection that received nothing for this long (`net::error` with `timeout`).
  timeout idle_timeout = infinity;
  /// Close a connection whose peer began a frame (a packet of the framing: a line, a
  /// length-prefixed message) and did not finish it within this long (`net::error` with
  /// `timeout`, "frame"). A client that drips a byte every few hundred ms is never idle; this
  /// is what stops it holding a connection and a partial frame for ever. Time between frames
  /// does not count.
  timeout frame_timeout = std::chrono::seconds{60};
  /// Threads that wait for readiness (epoll) and complete accepts; reading, writing and the
  /// protocol run in the connections' processes on the node's scheduler threads.
  std::size_t io_threads = 1;
  /// The framing connections start with (a handler can change it, `socket::set_framing`).
  net::framing framing = {};
  /// How long each connection may take to stop when the listener stops (then it is killed);
  /// also the default deadline of `drain`.
  timeout shutdown = std::chrono::milliseconds{5000};
  /// Received bytes the listener's connections may hold together (unfinished frames, frames
  /// read and not yet asked for). Past it, a connection that reads while holding at least its
  /// share (the total divided by the connections holding any) is closed with `net::error`
  /// `buffer_limit`: the worst offenders go, the rest are served. Unlimited by default (each
  /// connection is bounded by its framing's `max_size` anyway).
  std::size_t max_buffered = unlimited;
  /// Unsent bytes a connection may queue before `send` fails with `send_queue_full`.
  std::size_t send_queue_limit = 4 * 1024 * 1024;
  /// How long a closed connection goes on sending the bytes it still had queued (gen_tcp's
  /// `{linger, ...}` for the user-space queue): a handler that stops, or closes after its
  /// last `send`, or whose peer half-closed, loses nothing it sent unless the peer reads
  /// nothing for this long. Meanwhile the socket holds a descriptor but no process.
  timeout linger = std::chrono::milliseconds{10000};
  /// `local` transport: the socket file's permission bits.
  unsigned socket_mode = 0600;
  /// Register the listener (its top supervisor) under this name (empty: anonymous).
  std::string name = {};
};

}  // namespace otp::net
