#include "dist/erlang/epmd_client.hpp"

#include "runtime/cloexec.hpp"

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <fmt/format.h>

namespace otp::dist::erlang {

namespace asio = boost::asio;
using error_code = boost::system::error_code;
using tcp = asio::ip::tcp;
using enum dist_error::kind;

epmd_registration::epmd_registration(asio::io_context& io) : socket_(io), timer_(io) {}

void epmd_registration::start(const tcp::endpoint& epmd, std::string alive, std::uint16_t port,
                              std::chrono::milliseconds limit, done_fn done) {
  done_ = std::move(done);
  request_ = epmd::alive2_request(alive, port);
  timer_.expires_after(limit);
  timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (!ec)
      self->finish(unexpected{dist_error{timeout, "epmd did not answer"}});
  });
  error_code ec;
  otp::detail::open_cloexec(socket_, epmd.protocol(), ec);
  if (ec) {
    finish(unexpected{dist_error{system, ec.message()}});
    return;
  }
  socket_.async_connect(epmd, [self = shared_from_this(), epmd](const error_code& e) {
    if (!self->done_)
      return;
    if (e) {
      self->finish(unexpected{
        dist_error{unreachable, fmt::format("epmd at port {}: {}", epmd.port(), e.message())}});
      return;
    }
    asio::async_write(self->socket_, asio::buffer(self->request_),
                      [self](const error_code& w, std::size_t) {
                        if (!self->done_)
                          return;
                        if (w)
                          self->finish(unexpected{dist_error{system, w.message()}});
                        else
                          self->read_answer();
                      });
  });
}

void epmd_registration::read_answer() {
  socket_.async_read_some(
    asio::buffer(chunk_), [self = shared_from_this()](const error_code& ec, std::size_t n) {
      if (!self->done_)
        return;
      if (ec) {
        self->finish(unexpected{dist_error{unreachable, "epmd closed: " + ec.message()}});
        return;
      }
      self->answer_.insert(self->answer_.end(), self->chunk_.begin(), self->chunk_.begin() + n);
      auto parsed = epmd::alive2_response(self->answer_);
      if (!parsed)
        self->finish(unexpected{parsed.error()});
      else if (*parsed)
        self->finish(**parsed);
      else
        self->read_answer();
    });
}

void epmd_registration::finish(expected<std::uint32_t, dist_error> result) {
  if (!done_)
    return;
  auto done = std::move(done_);
  done_ = nullptr;
  timer_.cancel();
  if (!result)
    close();
  done(std::move(result));
}

void epmd_registration::close() {
  error_code ignored;
  socket_.close(ignored);
}

namespace {

/// One PORT_PLEASE2_REQ: resolve, connect, ask, read until epmd closes.
struct lookup : std::enable_shared_from_this<lookup> {
  tcp::resolver resolver;
  tcp::socket socket;
  asio::steady_timer timer;
  std::string alive;
  std::vector<std::uint8_t> request;
  std::vector<std::uint8_t> answer;
  std::array<std::uint8_t, 512> chunk{};
  std::function<void(expected<epmd::node_entry, dist_error>)> done;

  explicit lookup(asio::io_context& io) : resolver(io), socket(io), timer(io) {}

  void finish(expected<epmd::node_entry, dist_error> r) {
    if (!done)
      return;
    auto d = std::move(done);
    done = nullptr;
    timer.cancel();
    resolver.cancel();
    error_code ignored;
    socket.close(ignored);
    d(std::move(r));
  }

  void read() {
    socket.async_read_some(
      asio::buffer(chunk), [self = shared_from_this()](const error_code& ec, std::size_t n) {
        if (!self->done)
          return;
        self->answer.insert(self->answer.end(), self->chunk.begin(), self->chunk.begin() + n);
        if (self->answer.size() > 1024) {
          self->finish(unexpected{dist_error{malformed, "epmd's answer is too long"}});
        } else if (ec) {  // epmd closes after its answer
          self->finish(epmd::port2_response(self->answer));
        } else {
          self->read();
        }
      });
  }
};

}  // namespace

void epmd_lookup(asio::io_context& io, const std::string& host, std::uint16_t epmd_port,
                 const std::string& alive, std::chrono::milliseconds limit,
                 std::function<void(expected<epmd::node_entry, dist_error>)> done) {
  auto l = std::make_shared<lookup>(io);
  l->alive = alive;
  l->request = epmd::port_please2_request(alive);
  l->done = std::move(done);
  l->timer.expires_after(limit);
  l->timer.async_wait([l](const error_code& ec) {
    if (!ec)
      l->finish(unexpected{dist_error{timeout, "epmd did not answer"}});
  });
  l->resolver.async_resolve(
    host, std::to_string(epmd_port),
    [l, host](const error_code& ec, const tcp::resolver::results_type& found) {
      if (!l->done)
        return;
      if (ec || found.empty()) {
        l->finish(unexpected{dist_error{bad_name, "cannot resolve " + host}});
        return;
      }
      auto where = found.begin()->endpoint();
      error_code opened;
      otp::detail::open_cloexec(l->socket, where.protocol(), opened);
      if (opened) {
        l->finish(unexpected{dist_error{system, opened.message()}});
        return;
      }
      l->socket.async_connect(where, [l, host](const error_code& e) {
        if (!l->done)
          return;
        if (e) {
          l->finish(unexpected{dist_error{unreachable, "no epmd on " + host}});
          return;
        }
        asio::async_write(l->socket, asio::buffer(l->request),
                          [l](const error_code& w, std::size_t) {
                            if (w)
                              l->finish(unexpected{dist_error{unreachable, w.message()}});
                            else
                              l->read();
                          });
      });
    });
}

}  // namespace otp::dist::erlang
