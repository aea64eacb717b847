#include "dist/carrier_io.hpp"

#include "net/accept_backoff.hpp"
#include "net/listen_socket.hpp"
#include "runtime/cloexec.hpp"

#include "otp/process.hpp"

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <fmt/format.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>
#include <vector>

namespace otp::dist::detail {

namespace asio = boost::asio;
using stream = asio::generic::stream_protocol;
using error_code = boost::system::error_code;

owned_fd::~owned_fd() {
  if (fd_ >= 0)
    ::close(fd_);
}

std::string short_name(const std::string& node_name) {
  return node_name.substr(0, node_name.find('@'));
}

std::string carrier_io::socket_path(const std::string& directory, const std::string& name) {
  return directory + "/" + short_name(name) + ".sock";
}

namespace {

/// One handshake on one socket, driven by completions on the I/O thread. The machine says
/// how many bytes it wants, so we never read past the handshake into BASP's first bytes.
class session : public std::enable_shared_from_this<session> {
 public:
  using report_fn = std::function<void(handshake_result)>;

  session(asio::io_context& io, stream::socket socket, handshake machine, bool outgoing,
          std::string target, std::string via, std::chrono::milliseconds limit, report_fn report)
    : socket_(std::move(socket)),
      machine_(std::move(machine)),
      timer_(io),
      outgoing_(outgoing),
      target_(std::move(target)),
      via_(std::move(via)),
      limit_(limit),
      report_(std::move(report)) {}

  /// The name a server admitted (so the table forgets it if the handshake then fails).
  std::string* admitted() noexcept { return &admitted_; }

  void arm_timer() {
    timer_.expires_after(limit_);
    timer_.async_wait([self = shared_from_this()](const error_code& ec) {
      if (!ec)
        self->fail(dist_error{dist_error::kind::timeout,
                              fmt::format("no handshake within {} ms", self->limit_.count())});
    });
  }

  void dial(const stream::endpoint& where) {
    arm_timer();
    error_code opened;
    otp::detail::open_cloexec(socket_, where.protocol(), opened);
    if (opened) {
      fail(dist_error{dist_error::kind::unreachable, opened.message()});
      return;
    }
    socket_.async_connect(where, [self = shared_from_this()](const error_code& ec) {
      if (self->finished_)
        return;
      if (ec) {
        self->fail(dist_error{dist_error::kind::unreachable, ec.message()});
        return;
      }
      self->run();
    });
  }

  void accept() {
    arm_timer();
    run();
  }

 private:
  void run() {
    if (send(machine_.start()))
      step();
  }

  bool send(const std::vector<std::uint8_t>& bytes) {
    if (bytes.empty())
      return true;
    // Handshake frames are small and the socket's buffer is empty: this write completes.
    error_code ec;
    asio::write(socket_, asio::buffer(bytes), ec);
    if (ec) {
      fail(dist_error{dist_error::kind::system, "handshake write: " + ec.message()});
      return false;
    }
    return true;
  }

  void step() {
    if (machine_.current() == handshake::state::done) {
      succeed();
      return;
    }
    if (machine_.current() == handshake::state::failed) {
      fail(machine_.error());
      return;
    }
    buffer_.resize(machine_.want());
    asio::async_read(socket_, asio::buffer(buffer_),
                     [self = shared_from_this()](const error_code& ec, std::size_t) {
                       if (self->finished_)
                         return;
                       if (ec) {
                         self->fail(dist_error{
                           self->outgoing_ ? dist_error::kind::refused : dist_error::kind::system,
                           "connection closed during the handshake"});
                         return;
                       }
                       if (self->send(self->machine_.feed(self->buffer_)))
                         self->step();
                     });
  }

  void succeed() {
    finished_ = true;
    timer_.cancel();
    if (via_ == "tcp") {
      int on = 1;
      ::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
    }
    error_code ec;
    int fd = socket_.release(ec);
    handshake_result r;
    r.outgoing = outgoing_;
    r.target = outgoing_ ? target_ : machine_.peer().name;
    r.via = via_;
    if (ec) {
      r.error = dist_error{dist_error::kind::system, "release: " + ec.message()};
    } else {
      r.peer = machine_.peer();
      r.socket = std::make_shared<owned_fd>(fd);
    }
    report_(std::move(r));
  }

  void fail(dist_error e) {
    if (finished_)
      return;
    finished_ = true;
    timer_.cancel();
    error_code ignored;
    socket_.close(ignored);
    handshake_result r;
    r.outgoing = outgoing_;
    r.target = outgoing_ ? target_ : admitted_;
    r.via = via_;
    r.error = std::move(e);
    report_(std::move(r));
  }

  stream::socket socket_;
  handshake machine_;
  asio::steady_timer timer_;
  bool outgoing_;
  bool finished_ = false;
  std::string target_;
  std::string via_;
  std::string admitted_;
  std::chrono::milliseconds limit_;
  report_fn report_;
  std::vector<std::uint8_t> buffer_;
};

/// A carrier's listen socket: the socket server's (stale socket files, modes, reuse_address,
/// close-on-exec), accepting on the carrier's I/O thread.
struct listener {
  std::shared_ptr<net::detail::listen_socket> socket;
  std::string via;
  asio::steady_timer timer;
  net::detail::accept_backoff backoff;

  listener(asio::io_context& io, std::shared_ptr<net::detail::listen_socket> s, std::string v)
    : socket(std::move(s)), via(std::move(v)), timer(io) {}
};

dist_error from_net_error(const carrier& c, const net::net_error& e) {
  using net_kind = net::net_error::kind;
  auto kind = e.what == net_kind::address_in_use ? dist_error::kind::address_in_use
              : e.what == net_kind::bad_address  ? dist_error::kind::bad_option
                                                 : dist_error::kind::system;
  return dist_error{kind, fmt::format("{}: {}", to_string(c), e)};
}

}  // namespace

struct carrier_io::impl {
  carrier_config cfg;
  std::shared_ptr<peer_table> table;
  asio::io_context io;
  asio::executor_work_guard<asio::io_context::executor_type> guard{io.get_executor()};
  std::vector<std::unique_ptr<listener>> listeners;
  std::thread thread;
  pid kernel;
  bool stopped = false;

  impl(carrier_config c, std::shared_ptr<peer_table> t) : cfg(std::move(c)), table(std::move(t)) {}

  void report(handshake_result r) {
    if (r.error) {
      if (!r.target.empty())
        table->handshake_ended(r.target, r.outgoing, false);
    } else {
      table->handshake_ended(r.peer.name, r.outgoing, true);
    }
    otp::send(kernel, std::move(r));
  }

  session::report_fn reporter() {
    return [this](handshake_result r) { report(std::move(r)); };
  }

  void accept_next(listener& l) {
    // Does nothing once the socket is closed (stopping).
    l.socket->async_accept(io, [this, &l](const error_code& ec, net::detail::stream_socket s) {
      if (ec == asio::error::operation_aborted || stopped)
        return;
      if (ec) {
        l.timer.expires_after(l.backoff.failed());
        l.timer.async_wait([this, &l](const error_code& e) {
          if (!e && !stopped)
            accept_next(l);
        });
        return;
      }
      l.backoff.succeeded();
      otp::detail::set_cloexec(s.native_handle());
      start_server(stream::socket{std::move(s)}, l.via);
      accept_next(l);
    });
  }

  void start_server(stream::socket s, const std::string& via) {
    auto table_ref = table;
    auto admitted = std::make_shared<std::string*>(nullptr);
    handshake machine{handshake::role::server, cfg.self, cfg.cookie,
                      [table_ref, admitted](const node_hello& peer) -> std::optional<dist_error> {
                        auto refusal = table_ref->admit(peer.name);
                        if (!refusal && *admitted)
                          **admitted = peer.name;
                        return refusal;
                      }};
    auto sess = std::make_shared<session>(io, std::move(s), std::move(machine), false, "", via,
                                          cfg.handshake_timeout, reporter());
    *admitted = sess->admitted();
    sess->accept();
  }
};

carrier_io::carrier_io(carrier_config cfg, std::shared_ptr<peer_table> table)
  : impl_(std::make_unique<impl>(std::move(cfg), std::move(table))) {}

carrier_io::~carrier_io() {
  stop();
}

expected<std::string, dist_error> carrier_io::listen(const carrier& c) {
  bool uds = c.what == carrier::kind::uds;
  auto path = socket_path(impl_->cfg.directory, impl_->cfg.self.name);
  auto where = uds ? net::endpoint::local(path) : net::endpoint::tcp(c.address, c.port);
  // We hold the name's lock file: a socket file left at the path is a dead node's, which the
  // listen socket replaces. Only we may connect to it (0600).
  net::detail::listen_config cfg{asio::socket_base::max_listen_connections, false, 0600};
  auto listening = net::detail::listen_socket::open(impl_->io, where, cfg);
  if (!listening)
    return unexpected{from_net_error(c, listening.error())};
  auto address =
    uds ? "uds:" + path : fmt::format("tcp:{}:{}", c.address, (*listening)->bound().port());
  impl_->listeners.push_back(
    std::make_unique<listener>(impl_->io, std::move(*listening), uds ? "uds" : "tcp"));
  return address;
}

void carrier_io::start(pid kernel) {
  impl_->kernel = std::move(kernel);
  for (auto& l : impl_->listeners)
    impl_->accept_next(*l);
  impl_->thread = std::thread{[this] {
    pthread_setname_np(pthread_self(), "otp.dist");
    impl_->io.run();
  }};
}

void carrier_io::connect(const std::string& name,
                         std::optional<std::pair<std::string, std::uint16_t>> tcp) {
  asio::post(impl_->io, [this, name, tcp] {
    auto* self = impl_.get();
    if (self->stopped)
      return;
    stream::endpoint where;
    std::string via = "uds";
    if (tcp) {
      error_code ec;
      auto host = tcp->first == "localhost" ? std::string{"127.0.0.1"} : tcp->first;
      auto ip = asio::ip::make_address(host, ec);
      if (ec) {
        asio::ip::tcp::resolver resolver{self->io};
        auto found = resolver.resolve(tcp->first, std::to_string(tcp->second), ec);
        if (ec || found.empty()) {
          handshake_result r;
          r.outgoing = true;
          r.target = name;
          r.via = "tcp";
          r.error = dist_error{dist_error::kind::bad_name, "cannot resolve " + tcp->first};
          self->report(std::move(r));
          return;
        }
        where = stream::endpoint{found.begin()->endpoint()};
      } else {
        where = stream::endpoint{asio::ip::tcp::endpoint{ip, tcp->second}};
      }
      via = "tcp";
    } else {
      where = stream::endpoint{
        asio::local::stream_protocol::endpoint{socket_path(self->cfg.directory, name)}};
    }
    handshake machine{handshake::role::client, self->cfg.self, self->cfg.cookie, {}, name};
    auto sess =
      std::make_shared<session>(self->io, stream::socket{self->io}, std::move(machine), true, name,
                                via, self->cfg.handshake_timeout, self->reporter());
    sess->dial(where);
  });
}

void carrier_io::stop() {
  if (!impl_ || impl_->stopped)
    return;
  auto close_all = [self = impl_.get()] {
    self->stopped = true;
    for (auto& l : self->listeners) {
      l->socket->close();  // removes a Unix socket file that is still ours
      l->timer.cancel();
    }
    self->guard.reset();
    self->io.stop();  // aborts handshakes in flight; their sockets close with the context
  };
  if (impl_->thread.joinable()) {
    asio::post(impl_->io, close_all);
    impl_->thread.join();
  } else {
    close_all();
  }
  impl_->kernel = pid{};  // the kernel holds us: no cycle
}

}  // namespace otp::dist::detail
