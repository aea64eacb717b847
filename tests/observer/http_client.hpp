#pragma once

// A blocking HTTP/1.1 client for the observer's tests: one request per connection, the raw
// bytes as given, the whole answer read until the server closes (5 s receive timeout).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace observer_test {

struct reply {
  int status = 0;  ///< 0: no answer
  std::string head;
  std::string body;
};

inline reply parse_reply(const std::string& raw) {
  reply r;
  auto end = raw.find("\r\n\r\n");
  if (raw.size() < 12 || end == std::string::npos)
    return r;
  r.status = std::stoi(raw.substr(9, 3));
  r.head = raw.substr(0, end);
  r.body = raw.substr(end + 4);
  return r;
}

/// Sends `raw` to 127.0.0.1:`port` and returns the answer.
inline reply send_raw(std::uint16_t port, std::string_view raw) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{5, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string got;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0
      && ::send(fd, raw.data(), raw.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(raw.size())) {
    ::shutdown(fd, SHUT_WR);  // no more requests: the server closes after its answer
    char buf[65536];
    for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
      got.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return parse_reply(got);
}

/// GET `target` with `extra` header lines (each ending in \r\n).
inline reply get(std::uint16_t port, std::string_view target, std::string_view extra = {}) {
  std::string req = "GET ";
  req += target;
  req += " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\nConnection: close\r\n";
  req += extra;
  req += "\r\n";
  return send_raw(port, req);
}

}  // namespace observer_test
