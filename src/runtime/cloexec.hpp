#pragma once

// Every descriptor the library opens is close-on-exec: a child process the node spawns must
// not inherit listen sockets and connections (a stopped listener's port would go on
// accepting in the child, and half-open connections would outlive their timeouts).

#include <boost/system/error_code.hpp>

#include <cerrno>

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace otp::detail {

/// Opens `s` (an Asio socket or acceptor) for `protocol` with SOCK_CLOEXEC; Asio's own
/// `open` makes an inheritable descriptor.
template <class Socket, class Protocol>
void open_cloexec(Socket& s, const Protocol& protocol, boost::system::error_code& ec) {
  int fd = ::socket(protocol.family(), protocol.type() | SOCK_CLOEXEC, protocol.protocol());
  if (fd < 0) {
    ec.assign(errno, boost::system::system_category());
    return;
  }
  s.assign(protocol, fd, ec);
  if (ec)
    ::close(fd);
}

/// Marks an accepted descriptor close-on-exec. Asio accepts with accept(2), not accept4: the
/// flag follows in the same completion, microseconds later on the I/O thread. One ioctl, where
/// fcntl's read-modify-write took two system calls per connection.
inline void set_cloexec(int fd) noexcept {
  ::ioctl(fd, FIOCLEX);
}

}  // namespace otp::detail
