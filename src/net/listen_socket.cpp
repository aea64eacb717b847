#include "net/listen_socket.hpp"

#include "runtime/cloexec.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/socket_base.hpp>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>

#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace otp::net::detail {

namespace asio = boost::asio;

namespace {

net_error system_error(std::string_view what, const boost::system::error_code& ec) {
  if (ec == asio::error::address_in_use)
    return net_error{net_error::kind::address_in_use, fmt::format("{}: {}", what, ec.message())};
  return net_error{net_error::kind::system, fmt::format("{}: {}", what, ec.message())};
}

/// A Unix socket file nobody accepts on is left over by a dead process: connecting to it is
/// refused at once.
bool socket_file_is_live(const std::string& path) {
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return false;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  int rc;
  do {
    rc = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  } while (rc != 0 && errno == EINTR);
  bool live = rc == 0 || errno == EAGAIN;  // EAGAIN: live, its backlog is full
  ::close(fd);
  return live;
}

expected<stream::endpoint, net_error> to_asio(const endpoint& where) {
  if (where.is_local()) {
    if (where.path().empty() || where.path().size() >= sizeof(sockaddr_un::sun_path))
      return unexpected{net_error{net_error::kind::bad_address,
                                  fmt::format("socket path '{}' (1 to {} bytes)", where.path(),
                                              sizeof(sockaddr_un::sun_path) - 1)}};
    return stream::endpoint{asio::local::stream_protocol::endpoint{where.path()}};
  }
  // A listener binds an address, not whatever a name resolves to; "localhost" is the one name
  // taken, as the loopback (distribution's carriers listen there too).
  boost::system::error_code ec;
  auto address =
    asio::ip::make_address(where.address() == "localhost" ? "127.0.0.1" : where.address(), ec);
  if (ec)
    return unexpected{net_error{net_error::kind::bad_address,
                                fmt::format("'{}': {}", where.address(), ec.message())}};
  return stream::endpoint{asio::ip::tcp::endpoint{address, where.port()}};
}

/// Connection attempts the kernel dropped on this listening socket (a full accept queue).
std::uint64_t kernel_drops(int fd) {
  std::uint32_t meminfo[SK_MEMINFO_VARS] = {};
  socklen_t len = sizeof(meminfo);
  if (::getsockopt(fd, SOL_SOCKET, SO_MEMINFO, meminfo, &len) != 0
      || len <= SK_MEMINFO_DROPS * sizeof(std::uint32_t))
    return 0;
  return meminfo[SK_MEMINFO_DROPS];
}

/// Connections waiting in a TCP listening socket's accept queue: for a listening socket the
/// kernel reports the queue's length in tcpi_unacked (and its limit in tcpi_sacked).
std::size_t accept_queue(int fd) {
  tcp_info info{};
  socklen_t len = sizeof(info);
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) != 0)
    return 0;
  return info.tcpi_unacked;
}

}  // namespace

listen_socket::backlog_figures listen_socket::backlog() {
  std::lock_guard<std::mutex> lock{mutex_};
  if (!acceptor_.is_open())
    return {0, dropped_before_};
  auto fd = acceptor_.native_handle();
  return {bound_.is_local() ? 0 : accept_queue(fd), dropped_before_ + kernel_drops(fd)};
}

listen_socket::listen_socket(passkey, asio::io_context& io, listen_config cfg)
  : acceptor_(io), cfg_(cfg) {}

listen_socket::~listen_socket() {
  close();
}

expected<std::shared_ptr<listen_socket>, net_error> listen_socket::open(asio::io_context& io,
                                                                        const endpoint& where,
                                                                        const listen_config& cfg) {
  if (cfg.backlog <= 0)
    return unexpected{
      net_error{net_error::kind::bad_option, fmt::format("backlog {}", cfg.backlog)}};
  auto result = std::make_shared<listen_socket>(passkey{}, io, cfg);
  if (auto r = result->bind_and_listen(where); !r)
    return unexpected{std::move(r.error())};
  return result;
}

expected<void, net_error> listen_socket::bind_and_listen(const endpoint& where) {
  auto ep = to_asio(where);
  if (!ep)
    return unexpected{std::move(ep.error())};
  if (where.is_local()) {
    struct stat st {};
    if (::lstat(where.path().c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode))
        return unexpected{net_error{net_error::kind::address_in_use,
                                    fmt::format("'{}' exists and is not a socket", where.path())}};
      if (socket_file_is_live(where.path()))
        return unexpected{net_error{net_error::kind::address_in_use,
                                    fmt::format("a process listens on '{}'", where.path())}};
      ::unlink(where.path().c_str());  // stale: its listener died without removing it
    }
  }
  boost::system::error_code ec;
  otp::detail::open_cloexec(acceptor_, ep->protocol(), ec);
  if (ec)
    return unexpected{system_error("socket", ec)};
  if (!where.is_local()) {
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (cfg_.reuse_port) {
      int one = 1;
      if (::setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0)
        ec.assign(errno, boost::system::system_category());
    }
    if (ec) {
      acceptor_.close();
      return unexpected{system_error("setsockopt", ec)};
    }
  }
  acceptor_.bind(*ep, ec);
  if (ec) {
    acceptor_.close();
    return unexpected{system_error(fmt::format("bind {}", where), ec)};
  }
  if (where.is_local()) {
    struct stat st {};
    if (::chmod(where.path().c_str(), cfg_.socket_mode) != 0
        || ::stat(where.path().c_str(), &st) != 0) {
      ec.assign(errno, boost::system::system_category());
      acceptor_.close();
      ::unlink(where.path().c_str());
      return unexpected{system_error(fmt::format("chmod {}", where.path()), ec)};
    }
    inode_ = st.st_ino;
  }
  acceptor_.listen(cfg_.backlog, ec);
  if (ec) {
    close_locked();
    return unexpected{system_error("listen", ec)};
  }
  auto local = acceptor_.local_endpoint(ec);
  bound_ = where.is_local() ? where : to_endpoint(local);
  return {};
}

void listen_socket::close() {
  std::lock_guard<std::mutex> lock{mutex_};
  close_locked();
}

void listen_socket::close_locked() {
  if (!acceptor_.is_open())
    return;
  dropped_before_ += kernel_drops(acceptor_.native_handle());
  boost::system::error_code ec;
  acceptor_.close(ec);
  if (bound_.is_local() && inode_ != 0) {
    struct stat st {};
    if (::stat(bound_.path().c_str(), &st) == 0 && st.st_ino == inode_)
      ::unlink(bound_.path().c_str());
    inode_ = 0;
  }
}

void listen_socket::cancel() {
  std::lock_guard<std::mutex> lock{mutex_};
  boost::system::error_code ignored;
  acceptor_.cancel(ignored);
}

std::optional<stream_socket> listen_socket::try_accept(asio::io_context& peer_io,
                                                       boost::system::error_code& ec) {
  std::lock_guard<std::mutex> lock{mutex_};
  if (!acceptor_.is_open()) {
    ec = asio::error::bad_descriptor;
    return std::nullopt;
  }
  // Non-blocking for this synchronous accept only (Asio's async_accept never blocks anyway).
  if (!acceptor_.non_blocking()) {
    acceptor_.non_blocking(true, ec);
    if (ec)
      return std::nullopt;
  }
  stream_socket peer{peer_io};
  acceptor_.accept(peer, ec);
  if (ec)
    return std::nullopt;
  otp::detail::set_cloexec(peer.native_handle());
  return peer;
}

bool listen_socket::is_open() {
  std::lock_guard<std::mutex> lock{mutex_};
  return acceptor_.is_open();
}

expected<void, net_error> listen_socket::reopen() {
  std::lock_guard<std::mutex> lock{mutex_};
  if (acceptor_.is_open())
    return {};
  return bind_and_listen(bound_);
}

}  // namespace otp::net::detail
