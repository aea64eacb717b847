#pragma once

#include "net/connection.hpp"
#include "otp/expected.hpp"
#include "otp/net/endpoint.hpp"
#include "otp/net/net_error.hpp"

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <utility>

#include <sys/types.h>

namespace otp::net::detail {

struct listen_config {
  int backlog = 1024;
  bool reuse_port = false;
  unsigned socket_mode = 0600;
};

/// A listening socket shared by the acceptor processes of one listener. Acceptors start
/// their accepts from scheduler threads while the listener may close it: the mutex makes
/// those calls safe on the shared Asio object. Completions run on the I/O thread.
class listen_socket {
 public:
  /// Binds and listens. TCP: SO_REUSEADDR, and SO_REUSEPORT if asked. Unix: a stale socket
  /// file (nobody accepts on it) is replaced, a live one is `address_in_use`, and the file
  /// gets `socket_mode`.
  static expected<std::shared_ptr<listen_socket>, net_error> open(boost::asio::io_context& io,
                                                                  const endpoint& where,
                                                                  const listen_config& cfg);
  ~listen_socket();

  /// The bound address (the real port when 0 was asked for).
  const endpoint& bound() const noexcept { return bound_; }

  /// Starts one accept; false when the socket is closed (suspended or stopping).
  template <class Handler>
  bool async_accept(boost::asio::io_context& peer_io, Handler&& handler) {
    std::lock_guard<std::mutex> lock{mutex_};
    if (!acceptor_.is_open())
      return false;
    acceptor_.async_accept(peer_io.get_executor(), std::forward<Handler>(handler));
    return true;
  }

  /// Accepts a connection if one is waiting, without blocking (for `otp::net::accept`): a
  /// socket, or nothing with `ec` set (`would_block` when none waits, `bad_descriptor` when
  /// the socket is closed).
  std::optional<stream_socket> try_accept(boost::asio::io_context& peer_io,
                                          boost::system::error_code& ec);

  /// Waits for a connection to accept (readiness); false when the socket is closed. Closing
  /// or `cancel` completes the wait with operation_aborted.
  template <class Handler>
  bool async_wait_readable(Handler&& handler) {
    std::lock_guard<std::mutex> lock{mutex_};
    if (!acceptor_.is_open())
      return false;
    acceptor_.async_wait(boost::asio::socket_base::wait_read, std::forward<Handler>(handler));
    return true;
  }

  /// Closes the socket (pending accepts complete with operation_aborted) and removes the
  /// socket file of a Unix listener.
  void close();
  /// Aborts every pending accept (they complete with operation_aborted; live acceptors arm
  /// again). Asio cannot cancel one accept: this is how a dead acceptor's accept is withdrawn
  /// before it takes a connection nobody would serve.
  void cancel();
  /// Listens again on the bound address, after `close`.
  expected<void, net_error> reopen();
  bool is_open();

  /// What the kernel holds for this socket, read for the observer on its thread: `queued`,
  /// clients whose handshake is done and that wait to be accepted (TCP; 0 for a Unix socket
  /// or a closed one); `dropped`, connection attempts the kernel dropped because that queue was
  /// full, since the socket was first opened (a close keeps the count).
  struct backlog_figures {
    std::size_t queued = 0;
    std::uint64_t dropped = 0;
  };
  backlog_figures backlog();

 private:
  struct passkey {};

 public:
  listen_socket(passkey, boost::asio::io_context& io, listen_config cfg);

 private:
  expected<void, net_error> bind_and_listen(const endpoint& where);
  void close_locked();

  std::mutex mutex_;
  boost::asio::basic_socket_acceptor<stream> acceptor_;
  listen_config cfg_;
  endpoint bound_;
  ino_t inode_ = 0;                   // of our Unix socket file, so we never unlink a successor's
  std::uint64_t dropped_before_ = 0;  // by the kernel, before the last close
};

}  // namespace otp::net::detail
