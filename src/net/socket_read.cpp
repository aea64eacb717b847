// The blocking passive read, `gen_tcp:recv`: `socket::read`. The bytes are read by the caller
// with non-blocking system calls, as every read of the socket server is; only the wait for
// readiness goes through an I/O thread, which wakes the parked process (or blocked thread).

#include "net/connection.hpp"
#include "net/io_wait.hpp"

#include <memory>

namespace otp::net::detail {

std::optional<expected<std::string, net_error>> connection::take_packet(std::size_t length) {
  if (length > 0 && decoder_.config().packet == packet::raw) {
    if (auto bytes = decoder_.take_exact(length))
      return std::move(*bytes);
    return std::nullopt;
  }
  auto next = decoder_.next();
  if (!next)
    return unexpected{std::move(next.error())};
  if (!*next)
    return std::nullopt;
  return std::move(**next);
}

void connection::wait_readable(timeout t) {
  auto wait = std::make_shared<io_wait>();
  wait->arm();
  // The handler holds only the wait: a completion after the read gave up touches nothing
  // else, and the socket may be gone by then.
  socket_.async_wait(stream_socket::wait_read,
                     [wait](const boost::system::error_code&) { wait->fire(); });
  // However the wait ends unfired — a timeout, a kill that unwinds the process — no wait stays
  // pending on the socket (this read is its only one: the socket is passive).
  bool fired = false;
  struct cancel_unless_fired {
    stream_socket& socket;
    const bool& fired;
    ~cancel_unless_fired() {
      boost::system::error_code ignored;
      if (!fired)
        socket.cancel(ignored);
    }
  } guard{socket_, fired};
  fired = wait->wait(t);
}

expected<std::string, net_error> connection::read(timeout t, std::size_t length) {
  if (closed_)
    return unexpected{net_error{net_error::kind::closed}};
  if (mode_ != active::off || recv_pending_)
    return unexpected{net_error{net_error::kind::bad_option, "read on an active socket"}};
  io_deadline deadline{t};
  for (;;) {
    if (auto packet = take_packet(length)) {
      if (!*packet)
        close(close_mode::discard);  // the stream cannot be cut into frames any more
      return std::move(*packet);
    }
    if (eof_) {
      close();
      return unexpected{net_error{net_error::kind::closed}};
    }
    auto got = read_available();
    if (!got) {
      close(close_mode::discard);
      return unexpected{std::move(got.error())};
    }
    if (*got || eof_)
      continue;
    auto left = deadline.remaining();
    if (left <= timeout::zero())
      return unexpected{net_error{net_error::kind::timeout, "read"}};
    wait_readable(left);
  }
}

}  // namespace otp::net::detail

namespace otp::net {

expected<std::string, net_error> socket::read(timeout t, std::size_t length) {
  if (!impl_)
    return unexpected{net_error{net_error::kind::not_connected}};
  return impl_->read(t, length);
}

}  // namespace otp::net
