#include "dist/erlang/listener.hpp"

#include "runtime/cloexec.hpp"

#include <boost/asio/socket_base.hpp>

#include <fmt/format.h>

namespace otp::dist::erlang {

namespace asio = boost::asio;
using error_code = boost::system::error_code;

std::string uds_socket_path(const std::string& directory, const std::string& alive) {
  return directory + "/" + alive + ".erl.sock";
}

std::string uds_lock_path(const std::string& directory, const std::string& alive) {
  // Not `<alive>.lock`: that is the BASP distribution's, and a node may run both.
  return directory + "/" + alive + ".erl.lock";
}

listener::listener(asio::io_context& io, std::shared_ptr<net::detail::listen_socket> s)
  : io_(io), socket_(std::move(s)), timer_(io) {}

expected<std::unique_ptr<listener>, dist_error> listener::open(asio::io_context& io,
                                                               const net::endpoint& where) {
  net::detail::listen_config cfg{asio::socket_base::max_listen_connections, false, 0600};
  auto opened = net::detail::listen_socket::open(io, where, cfg);
  if (!opened) {
    using net_kind = net::net_error::kind;
    auto& e = opened.error();
    auto kind = e.what == net_kind::address_in_use ? dist_error::kind::address_in_use
                : e.what == net_kind::bad_address  ? dist_error::kind::bad_option
                                                   : dist_error::kind::system;
    return unexpected{dist_error{kind, fmt::format("listen on {}: {}", where, e)}};
  }
  return std::make_unique<listener>(io, std::move(*opened));
}

void listener::start(accept_fn f) {
  on_accept_ = std::move(f);
  next();
}

void listener::close() {
  closed_ = true;
  timer_.cancel();
  socket_->close();
}

void listener::next() {
  // Does nothing once the socket is closed.
  socket_->async_accept(io_, [this](const error_code& ec, net::detail::stream_socket s) {
    if (closed_ || ec == asio::error::operation_aborted)
      return;
    if (ec) {
      timer_.expires_after(backoff_.failed());
      timer_.async_wait([this](const error_code& e) {
        if (!e && !closed_)
          next();
      });
      return;
    }
    backoff_.succeeded();
    otp::detail::set_cloexec(s.native_handle());
    on_accept_(std::move(s));
    next();
  });
}

}  // namespace otp::dist::erlang
