#include "dist/erlang/connection.hpp"

#include "dist/wire.hpp"
#include "runtime/cloexec.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <fmt/format.h>

#include <utility>

namespace otp::dist::erlang {

namespace asio = boost::asio;
using error_code = boost::system::error_code;
using enum dist_error::kind;

connection::connection(asio::io_context& io, socket_type socket, const connection_config& cfg,
                       connection_owner& owner, std::optional<std::string> dialled)
  : socket_(std::move(socket)),
    cfg_(cfg),
    owner_(owner),
    machine_(
      dialled ? handshake::role::initiator : handshake::role::acceptor, cfg.self, cfg.cookie,
      [this](const node_info& peer) {
        peer_name_ = peer.name;
        return owner_.admit(*this, peer);
      },
      dialled),
    timer_(io),
    reader_(cfg.max_packet),
    peer_name_(dialled.value_or("")),
    outgoing_(dialled.has_value()) {}

void connection::arm_handshake_timer() {
  timer_.expires_after(cfg_.handshake_timeout);
  timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (!ec && !self->up_)
      self->close(dist_error{
        timeout, fmt::format("no handshake within {} ms", self->cfg_.handshake_timeout.count())});
  });
}

void connection::accept() {
  arm_handshake_timer();
  run_handshake();
}

void connection::dial(const endpoint_type& where) {
  if (closed_)
    return;
  error_code ec;
  otp::detail::open_cloexec(socket_, where.protocol(), ec);
  if (ec) {
    close(dist_error{unreachable, ec.message()});
    return;
  }
  socket_.async_connect(where, [self = shared_from_this()](const error_code& e) {
    if (self->closed_)
      return;
    if (e) {
      self->close(dist_error{unreachable, fmt::format("{}: {}", self->peer_name_, e.message())});
      return;
    }
    self->run_handshake();
  });
}

void connection::run_handshake() {
  error_code ignored;
  if (socket_.local_endpoint(ignored).protocol().family() != AF_UNIX)
    socket_.set_option(asio::ip::tcp::no_delay{true}, ignored);
  if (write_now(machine_.start()))
    handshake_step();
}

bool connection::write_now(const std::vector<std::uint8_t>& bytes) {
  if (bytes.empty())
    return true;
  // Handshake frames are small and the socket's send buffer is empty: this write completes
  // without waiting.
  error_code ec;
  asio::write(socket_, asio::buffer(bytes), ec);
  if (ec) {
    close(dist_error{system, "handshake write: " + ec.message()});
    return false;
  }
  return true;
}

void connection::handshake_step() {
  if (closed_)
    return;
  if (machine_.current() == handshake::state::done) {
    become_up();
    return;
  }
  if (machine_.current() == handshake::state::failed) {
    close(machine_.error());
    return;
  }
  handshake_buffer_.resize(machine_.want());
  asio::async_read(socket_, asio::buffer(handshake_buffer_),
                   [self = shared_from_this()](const error_code& ec, std::size_t) {
                     if (self->closed_)
                       return;
                     if (ec) {
                       self->machine_.closed();
                       self->close(self->machine_.error());
                       return;
                     }
                     if (self->write_now(self->machine_.feed(self->handshake_buffer_)))
                       self->handshake_step();
                   });
}

void connection::become_up() {
  up_ = true;
  peer_name_ = machine_.peer().name;
  timer_.cancel();
  owner_.up(shared_from_this());
  if (closed_)
    return;
  arm_tick();
  read_data();
  flush();
}

void connection::send(std::vector<std::uint8_t> body, bool counted) {
  if (closed_) {
    if (counted)
      cfg_.queued->left(body.size());
    return;
  }
  if (counted)
    counted_queued_ += body.size();
  std::vector<std::uint8_t> packet;
  packet.reserve(body.size() + 4);
  wire::put(packet, body.size(), 4);
  packet.insert(packet.end(), body.begin(), body.end());
  queue_.push_back(std::move(packet));
  flush();
}

void connection::flush() {
  if (!up_ || closed_ || writing_ || queue_.empty())
    return;
  // Everything queued goes out in one gathered write.
  in_flight_.swap(queue_);
  counted_in_flight_ = std::exchange(counted_queued_, 0);
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(in_flight_.size());
  for (const auto& p : in_flight_)
    buffers.emplace_back(asio::buffer(p));
  writing_ = true;
  wrote_since_tick_ = true;
  asio::async_write(socket_, buffers,
                    [self = shared_from_this()](const error_code& ec, std::size_t) {
                      self->writing_ = false;
                      self->in_flight_.clear();
                      self->cfg_.queued->left(std::exchange(self->counted_in_flight_, 0));
                      if (self->closed_)
                        return;
                      if (ec) {
                        self->close(dist_error{system, "write: " + ec.message()});
                        return;
                      }
                      self->flush();
                    });
}

void connection::read_data() {
  socket_.async_read_some(
    asio::buffer(read_buffer_), [self = shared_from_this()](const error_code& ec, std::size_t n) {
      if (self->closed_)
        return;
      if (ec) {
        self->close(dist_error{
          refused, ec == asio::error::eof ? "the peer closed the connection" : ec.message()});
        return;
      }
      self->on_data(n);
    });
}

void connection::on_data(std::size_t n) {
  read_since_tick_ = true;
  if (auto fed = reader_.feed(std::span{read_buffer_.data(), n}); !fed) {
    close(fed.error());
    return;
  }
  std::vector<std::uint8_t> packet;
  while (!closed_ && reader_.next(packet)) {
    if (packet.empty())
      continue;  // a tick: it counted as traffic above
    auto decoded = decode_control(packet);
    if (!decoded) {
      if (decoded.error().fatal()) {
        close(dist_error{malformed, fmt::format("{}: {}", to_string(decoded.error().what),
                                                decoded.error().detail)});
        return;
      }
      continue;  // a message we cannot represent: dropped, the link stays
    }
    owner_.received(*this, std::move(*decoded));
  }
  if (!closed_)
    read_data();
}

void connection::arm_tick() {
  timer_.expires_after(cfg_.tick_time / 4);
  timer_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (!ec && !self->closed_)
      self->on_tick();
  });
}

void connection::on_tick() {
  silent_quarters_ = read_since_tick_ ? 0 : silent_quarters_ + 1;
  read_since_tick_ = false;
  if (silent_quarters_ >= 4) {
    close(dist_error{timeout, fmt::format("{} silent for the tick time ({} ms)", peer_name_,
                                          cfg_.tick_time.count())});
    return;
  }
  if (!wrote_since_tick_ && !writing_) {
    queue_.push_back(std::vector<std::uint8_t>(4, 0));  // a tick: a packet of length 0
    flush();
  }
  wrote_since_tick_ = false;
  arm_tick();
}

void connection::close(const dist_error& why) {
  if (closed_)
    return;
  closed_ = true;
  timer_.cancel();
  error_code ignored;
  socket_.shutdown(socket_type::shutdown_both, ignored);
  socket_.close(ignored);
  queue_.clear();
  cfg_.queued->left(std::exchange(counted_queued_, 0));
  owner_.down(shared_from_this(), why);
}

}  // namespace otp::dist::erlang
