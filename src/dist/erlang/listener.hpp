#pragma once

// Where Erlang's distribution listens: a TCP port (announced to epmd) or, for the Unix-socket
// carrier, `<directory>/<alive>.erl.sock` (no port mapper: the name is the address). Both go
// through the socket server's listen socket, which sets close-on-exec and SO_REUSEADDR, gives
// a socket file mode 0600 and replaces a stale one a dead node left; accepting runs on the
// distribution's I/O thread and backs off when the system refuses (EMFILE).

#include "net/accept_backoff.hpp"
#include "net/listen_socket.hpp"

#include "otp/dist/dist_error.hpp"
#include "otp/expected.hpp"
#include "otp/net/endpoint.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <functional>
#include <memory>
#include <string>

namespace otp::dist::erlang {

/// The Unix-socket carrier's files for node `alive` in `directory`.
std::string uds_socket_path(const std::string& directory, const std::string& alive);
std::string uds_lock_path(const std::string& directory, const std::string& alive);

class listener {
 public:
  using accept_fn = std::function<void(net::detail::stream_socket)>;

  /// Binds and listens on `where`. Errors: address_in_use, bad_option (a bad address or a
  /// socket path too long), system.
  static expected<std::unique_ptr<listener>, dist_error> open(boost::asio::io_context& io,
                                                              const net::endpoint& where);

  /// Starts accepting (on the I/O thread): each connection goes to `f`.
  void start(accept_fn f);
  /// Stops accepting and closes the socket (removing the socket file). On the I/O thread.
  void close();
  /// The TCP port we listen on (0 for a Unix socket).
  std::uint16_t port() const noexcept { return socket_->bound().port(); }

  listener(boost::asio::io_context& io, std::shared_ptr<net::detail::listen_socket> s);

 private:
  void next();

  boost::asio::io_context& io_;
  std::shared_ptr<net::detail::listen_socket> socket_;
  boost::asio::steady_timer timer_;
  net::detail::accept_backoff backoff_;
  accept_fn on_accept_;
  bool closed_ = false;
};

}  // namespace otp::dist::erlang
