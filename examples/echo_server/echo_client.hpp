#pragma once

// A plain blocking client for the echo examples: one round trip over the loopback, every wait
// bounded (5 s).

#include <cstdint>
#include <string>
#include <string_view>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

/// Connects to 127.0.0.1:`port` and has `message` echoed back. Returns the connected descriptor
/// (the caller closes it), or -1 if the connection or the echo failed.
inline int echo_round_trip(std::uint16_t port, std::string_view message) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0)
    return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  auto size = static_cast<ssize_t>(message.size());
  std::string echoed(message.size(), '\0');
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0
            && ::write(fd, message.data(), message.size()) == size
            && ::recv(fd, echoed.data(), echoed.size(), MSG_WAITALL) == size && echoed == message;
  if (!ok) {
    ::close(fd);
    return -1;
  }
  return fd;
}
