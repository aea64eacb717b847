// gen_tcp's listen and accept (otp/net/listen_socket.hpp), on the socket server's listen
// sockets: the same binding, options and Unix socket file rules, the same EMFILE back-off.
// A process that accepts parks until the listen socket is readable (an I/O thread wakes it),
// then accepts with a non-blocking system call of its own.

#include "otp/net/listen_socket.hpp"

#include "net/accept_backoff.hpp"
#include "net/connection.hpp"
#include "net/io_pool.hpp"
#include "net/io_wait.hpp"
#include "net/listen_socket.hpp"
#include "otp/logger.hpp"
#include "otp/net/listener.hpp"
#include "otp/node.hpp"
#include "otp/process.hpp"
#include "process/process_core.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <caf/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace otp::net {

struct listen_socket::impl {
  otp::node* home = nullptr;
  std::shared_ptr<detail::io_pool> io;  // before the socket: it outlives it
  std::shared_ptr<detail::listen_socket> socket;
  detail::connection_options connection;
  bool nodelay = true;
  endpoint bound;

  impl() = default;
  impl(const impl&) = delete;
  impl& operator=(const impl&) = delete;
  ~impl() {
    if (socket)
      socket->close();
  }
};

namespace {

namespace asio = boost::asio;
using otp::detail::process_core;

// -- the events of an accepted socket go to its owner's mailbox -------------------------------

/// `set_active` and `recv` on an accepted socket: its events become messages to the owning
/// process, as an Erlang port's go to its controlling process (a plain process receives them
/// with `otp::receive`, a gen_server in `handle_info`).
template <class T>
bool to_mailbox(process_core& self, T& msg) {
  otp::send(self.pid_of_self(), std::move(msg));
  return true;
}

constexpr detail::handler_table mailbox_table{
  &to_mailbox<net::data>,    &to_mailbox<net::closed>,   &to_mailbox<net::error>,
  &to_mailbox<net::passive>, &to_mailbox<net::draining>, &to_mailbox<net::send_queue_empty>,
};

expected<void, net_error> validate(const listen_options& o) {
  auto bad = [](std::string what) {
    return unexpected{net_error{net_error::kind::bad_option, std::move(what)}};
  };
  if (o.backlog <= 0)
    return bad(fmt::format("backlog {}", o.backlog));
  if (o.io_threads == 0 || o.io_threads > 64)
    return bad(fmt::format("io_threads {} (1 to 64)", o.io_threads));
  if (o.socket_mode > 0777)
    return bad(fmt::format("socket_mode {:o}", o.socket_mode));
  if (o.linger.count() < 0)
    return bad("linger must not be negative");
  return net::validate(o.framing);
}

/// A connection taken from the backlog, as a socket of the calling process.
socket make_socket(listen_socket::impl& ls, detail::stream_socket peer) {
  if (ls.nodelay && !ls.bound.is_local()) {
    boost::system::error_code ignored;
    peer.set_option(asio::ip::tcp::no_delay(true), ignored);
  }
  socket result{std::make_shared<detail::connection>(ls.io, std::move(peer), ls.connection)};
  if (process_core::current())
    detail::attach(result, &mailbox_table);
  return result;
}

/// Parks the caller until the listen socket is readable, closed, or `t` passed.
void wait_acceptable(detail::listen_socket& socket, timeout t) {
  auto wait = std::make_shared<detail::io_wait>();
  wait->arm();
  if (!socket.async_wait_readable([wait](const boost::system::error_code&) { wait->fire(); })) {
    wait->abandon();  // closed meanwhile
    return;
  }
  if (wait->wait(t))
    return;
  // Timed out: withdraw the wait. Asio cancels every wait on the socket, so other acceptors
  // wake too, find nothing to accept and wait again. (A kill unwinds past this and leaves its
  // wait pending, holding only the disarmed `io_wait`, until the next connection or close.)
  socket.cancel();
}

/// Sleeps through an accept back-off (parks a process), within what is left of the timeout.
void back_off(timeout delay) {
  detail::io_wait nothing;  // fired by nobody: only the time ends it
  nothing.arm();
  (void)nothing.wait(delay);
}

}  // namespace

// -- listen_socket ------------------------------------------------------------------------------

bool listen_socket::is_open() const noexcept {
  return impl_ && impl_->socket->is_open();
}

const endpoint& listen_socket::address() const noexcept {
  static const endpoint none{};
  return impl_ ? impl_->bound : none;
}

void listen_socket::close() noexcept {
  if (impl_)
    impl_->socket->close();
}

expected<listen_socket, net_error> listen(node& n, listen_options opts) {
  if (auto ok = validate(opts); !ok)
    return unexpected{std::move(ok.error())};
  auto io = std::make_shared<detail::io_pool>(n.system(), opts.io_threads);
  detail::listen_config cfg{opts.backlog, opts.reuse_port, opts.socket_mode};
  auto sock = detail::listen_socket::open(io->at(0), opts.address, cfg);
  if (!sock)
    return unexpected{std::move(sock.error())};
  auto impl = std::make_shared<listen_socket::impl>();
  impl->home = &n;
  impl->io = std::move(io);
  impl->bound = (*sock)->bound();
  impl->socket = std::move(*sock);
  impl->connection = detail::connection_options{.framing = opts.framing,
                                                .frame_timeout = infinity,
                                                .send_queue_limit = opts.send_queue_limit,
                                                .linger = opts.linger};
  impl->nodelay = opts.nodelay;
  if (auto* self = process_core::current()) {
    // Owned by the process: it closes when the process exits, as a port with its owner.
    std::weak_ptr<listen_socket::impl> weak = impl;
    self->attach_functor([weak](const caf::error&) {
      if (auto owned = weak.lock())
        owned->socket->close();
    });
  }
  return listen_socket{std::move(impl)};
}

expected<listen_socket, net_error> listen(listen_options opts) {
  auto* self = process_core::current();
  if (!self)
    throw std::logic_error("otp::net::listen(opts) outside a process: pass the node");
  return listen(self->home(), std::move(opts));
}

expected<socket, net_error> accept(const listen_socket& ls, timeout t) {
  if (!ls.impl_)
    return unexpected{net_error{net_error::kind::not_connected}};
  auto& impl = *ls.impl_;
  detail::io_deadline deadline{t};
  detail::accept_backoff backoff;
  for (;;) {
    boost::system::error_code ec;
    auto peer = impl.socket->try_accept(impl.io->next(), ec);
    if (peer)
      return make_socket(impl, std::move(*peer));
    if (ec == asio::error::bad_descriptor || !impl.socket->is_open())
      return unexpected{net_error{net_error::kind::closed}};
    auto left = deadline.remaining();
    if (left <= timeout::zero())
      return unexpected{net_error{net_error::kind::timeout, "accept"}};
    if (ec == asio::error::would_block || ec == asio::error::try_again) {
      wait_acceptable(*impl.socket, left);
    } else if (ec != asio::error::connection_aborted) {
      // EMFILE, ENFILE, ...: the connection stays in the backlog, and accepting again at once
      // would spin.
      if (!backoff.backing_off())
        impl.home->logger().log(log_level::warning, "net_error",
                                "accept on {} failed: {}; retrying with back-off", impl.bound,
                                ec.message());
      back_off(std::min(backoff.failed(), left));
    }
  }
}

}  // namespace otp::net
