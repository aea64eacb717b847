#pragma once

#include "dist/handshake.hpp"
#include "dist/peer_table.hpp"

#include "otp/dist/carrier.hpp"
#include "otp/dist/dist_error.hpp"
#include "otp/expected.hpp"
#include "otp/pid.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace otp::dist::detail {

/// A connected socket after its handshake, on its way to CAF's BASP broker. Closes the
/// descriptor if nobody takes it (the kernel exited meanwhile).
class owned_fd {
 public:
  explicit owned_fd(int fd) noexcept : fd_(fd) {}
  ~owned_fd();
  owned_fd(const owned_fd&) = delete;
  owned_fd& operator=(const owned_fd&) = delete;
  int get() const noexcept { return fd_; }
  int release() noexcept { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

/// What the carrier tells the net_kernel about one handshake, as an info message.
struct handshake_result {
  bool outgoing = false;
  std::string target;                // the name dialled, or the accepted peer's (if known)
  std::string via;                   // "uds" or "tcp", for logs
  std::optional<dist_error> error;   // set when the handshake failed
  node_hello peer;                   // valid on success
  std::shared_ptr<owned_fd> socket;  // valid on success
};

struct carrier_config {
  node_hello self;
  std::string cookie;
  std::chrono::milliseconds handshake_timeout{5000};
  std::string directory;  // for uds sockets: <directory>/<short name>.sock
};

/// The carrier layer in command mode: listens and accepts (uds, tcp), connects, and runs
/// each handshake on its own I/O thread (`otp.dist`), never on a scheduler thread. A socket
/// whose handshake succeeded is handed over, still unread past the handshake, to the kernel.
class carrier_io {
 public:
  carrier_io(carrier_config cfg, std::shared_ptr<peer_table> table);
  ~carrier_io();
  carrier_io(const carrier_io&) = delete;
  carrier_io& operator=(const carrier_io&) = delete;

  /// Binds and listens; returns the address others dial (`uds:/path`, `tcp:host:port`).
  expected<std::string, dist_error> listen(const carrier& c);
  /// Starts accepting; results go to `kernel` as `handshake_result` infos.
  void start(pid kernel);
  /// Dials `name` (short name for uds; with `tcp_host`/`tcp_port` for tcp) in the background.
  void connect(const std::string& name, std::optional<std::pair<std::string, std::uint16_t>> tcp);
  /// Stops accepting, aborts handshakes in flight and joins the I/O thread.
  void stop();

  static std::string socket_path(const std::string& directory, const std::string& name);

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// `alpha@host` -> `alpha`.
std::string short_name(const std::string& node_name);

}  // namespace otp::dist::detail
