#pragma once

// Blocking sockets, as gen_tcp's: `listen`, `accept`, and `socket::read` (in socket.hpp),
// for straight-line code in a process:
//
//   {ok, LSock} = gen_tcp:listen(Port, Opts)   auto ls = otp::net::listen({.address = ...});
//   {ok, Sock} = gen_tcp:accept(LSock)         auto s = otp::net::accept(*ls);
//   {ok, Data} = gen_tcp:recv(Sock, 0)         auto data = s->read();
//
// Inside a process (a gen_server callback, a function started with `otp::spawn`) `accept` and
// `read` park the process, never its thread: an I/O thread wakes it when a connection or
// bytes arrive. From a plain thread they block the thread. The listener of listener.hpp is
// the other way to serve connections: its acceptors hand each connection to a handler's
// `handle_info`, with no process ever waiting.

#include "otp/expected.hpp"
#include "otp/net/endpoint.hpp"
#include "otp/net/framing.hpp"
#include "otp/net/net_error.hpp"
#include "otp/net/socket.hpp"
#include "otp/timeout.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace otp {
class node;
}

namespace otp::net {

/// `gen_tcp:listen`'s options that apply here (the socket is always passive: `{active,
/// false}`; `socket::set_active` turns an accepted socket's reads into messages).
struct listen_options {
  /// Where to listen; port 0 picks an ephemeral port (`listen_socket::address()` tells which).
  endpoint address = endpoint::tcp("0.0.0.0", 0);
  /// The kernel's queue of connections not yet accepted (listen(2)'s backlog).
  int backlog = 1024;
  /// SO_REUSEPORT, to share the port with other listen sockets (SO_REUSEADDR is always set).
  bool reuse_port = false;
  /// TCP_NODELAY on accepted TCP connections.
  bool nodelay = true;
  /// The framing accepted sockets start with (`{packet, ...}`); `raw` by default.
  net::framing framing = {};
  /// Threads that wait for readiness (epoll) for this socket and the sockets it accepts.
  std::size_t io_threads = 1;
  /// Unsent bytes an accepted socket may queue before `send` fails with `send_queue_full`.
  std::size_t send_queue_limit = 4 * 1024 * 1024;
  /// How long a closed socket goes on sending what it still had queued.
  timeout linger = std::chrono::milliseconds{10000};
  /// `local` transport: the socket file's permission bits.
  unsigned socket_mode = 0600;
};

/// A listening socket. Copies are handles to the same socket, so the process that listens can
/// give one to each acceptor process. It is closed by `close`, when the process that opened it
/// exits (as an Erlang port closes with its owner), or when the last handle goes, whichever
/// comes first; closing wakes every process blocked in `accept` on it with `closed`.
class listen_socket {
 public:
  struct impl;

  listen_socket() = default;
  explicit listen_socket(std::shared_ptr<impl> p) noexcept : impl_(std::move(p)) {}

  explicit operator bool() const noexcept { return static_cast<bool>(impl_); }
  bool is_open() const noexcept;
  /// The bound address: the port is the real one when 0 was asked for.
  const endpoint& address() const noexcept;
  std::uint16_t port() const noexcept { return address().port(); }
  /// `gen_tcp:close(LSock)`. Connections accepted already stay open.
  void close() noexcept;

 private:
  friend expected<socket, net_error> accept(const listen_socket&, timeout);
  std::shared_ptr<impl> impl_;
};

/// `gen_tcp:listen`: binds and listens. Inside a process the socket belongs to it and closes
/// when it exits. Errors: `address_in_use`, `bad_address`, `bad_option`, `system`.
expected<listen_socket, net_error> listen(node& n, listen_options opts = {});
/// The same, on the calling process's node (inside a process only).
expected<listen_socket, net_error> listen(listen_options opts = {});

/// `gen_tcp:accept(LSock, Timeout)`: the next connection, as a passive socket owned by the
/// calling process (its `set_active` / `recv` messages go to that process's mailbox). Inside a
/// process it parks the process until a client connects; from a plain thread it blocks the
/// thread. Errors: `timeout` (after `t`), `closed` (the listen socket was closed, before or
/// during the wait), `not_connected` (an empty handle). Failures of the system's accept
/// (EMFILE, ENFILE) are retried after a back-off of 10 ms doubling to 1 s, within `t`, and
/// logged once per episode. A kill ends the wait at once, as it ends a call.
expected<socket, net_error> accept(const listen_socket& ls, timeout t = infinity);

}  // namespace otp::net
