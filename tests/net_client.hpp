#pragma once

// A blocking test client on plain POSIX sockets, every wait bounded by a timeout.

#include "eventually.hpp"

#include <otp/net/listener.hpp>
#include <otp/node.hpp>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace test_net {

using namespace std::chrono_literals;

class client {
 public:
  client() = default;
  explicit client(int fd) : fd_(fd) {}
  client(client&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  client& operator=(client&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  ~client() {
    if (fd_ >= 0)
      ::close(fd_);
  }

  static client tcp(std::uint16_t port) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd);
      return client{};
    }
    return client{fd};
  }

  static client local(const std::string& path) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd);
      return client{};
    }
    return client{fd};
  }

  explicit operator bool() const { return fd_ >= 0; }
  int fd() const { return fd_; }

  bool send(std::string_view bytes) {
    while (!bytes.empty()) {
      auto n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0)
        return false;
      bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  /// Exactly n bytes, or nothing after the timeout or at EOF.
  std::optional<std::string> recv(std::size_t n, std::chrono::milliseconds t = 5000ms) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + t;
    while (out.size() < n) {
      if (!wait_readable(deadline))
        return std::nullopt;
      char buf[65536];
      auto got = ::recv(fd_, buf, std::min(sizeof(buf), n - out.size()), 0);
      if (got <= 0)
        return std::nullopt;
      out.append(buf, static_cast<std::size_t>(got));
    }
    return out;
  }

  /// One line without its newline, or nothing after the timeout or at EOF.
  std::optional<std::string> recv_line(std::chrono::milliseconds t = 5000ms) {
    std::string line;
    for (;;) {
      auto c = recv(1, t);
      if (!c)
        return std::nullopt;
      if (*c == "\n")
        return line;
      line += *c;
    }
  }

  /// Everything the server sends until it closes (EOF or reset), `t` passes or `max` bytes
  /// have arrived.
  std::string read_to_eof(std::chrono::milliseconds t,
                          std::size_t max = std::numeric_limits<std::size_t>::max()) {
    std::string in;
    auto deadline = std::chrono::steady_clock::now() + t;
    while (in.size() < max && wait_readable(deadline)) {
      char buf[65536];
      auto got = ::recv(fd_, buf, std::min(sizeof(buf), max - in.size()), 0);
      if (got <= 0)
        break;
      in.append(buf, static_cast<std::size_t>(got));
    }
    return in;
  }

  /// True when the server closed the connection (EOF or reset) within the timeout.
  bool closed_by_peer(std::chrono::milliseconds t = 5000ms) {
    auto deadline = std::chrono::steady_clock::now() + t;
    for (;;) {
      if (!wait_readable(deadline))
        return false;
      char buf[4096];
      auto got = ::recv(fd_, buf, sizeof(buf), 0);
      if (got <= 0)
        return true;
    }
  }

 private:
  bool wait_readable(std::chrono::steady_clock::time_point deadline) {
    for (;;) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return false;
      pollfd p{fd_, POLLIN, 0};
      int rc = ::poll(&p, 1, static_cast<int>(left.count()));
      if (rc > 0)
        return true;
      if (rc < 0 && errno != EINTR)
        return false;
    }
  }

  int fd_ = -1;
};

using test_util::eventually;

/// A real node with two scheduler threads, quiet.
inline otp::node_options threaded() {
  return {.threads = 2, .policy = otp::scheduler_policy::sharing, .log = otp::log_level::none};
}

/// `o` listening on an ephemeral loopback port.
inline otp::net::listener_options loopback(otp::net::listener_options o = {}) {
  o.address = otp::net::endpoint::tcp("127.0.0.1", 0);
  return o;
}

/// Sends `msg` and reads as many bytes back (an echo).
inline std::string round_trip(client& c, std::string_view msg) {
  if (!c.send(msg))
    return "<send failed>";
  return c.recv(msg.size()).value_or("<nothing>");
}

inline std::size_t open_fds() {
  std::size_t n = 0;
  if (DIR* d = ::opendir("/proc/self/fd")) {
    while (::readdir(d))
      ++n;
    ::closedir(d);
  }
  return n;
}

inline otp::net::listener_info info(const otp::net::listener& l) {
  return otp::net::info(l).value();
}

inline std::string u16_frame(std::string_view payload) {
  std::string f(2, '\0');
  f[0] = static_cast<char>((payload.size() >> 8) & 0xff);
  f[1] = static_cast<char>(payload.size() & 0xff);
  f.append(payload);
  return f;
}

}  // namespace test_net
