#include "dist/erlang/connection.hpp"

#include "dist/wire.hpp"
#include "runtime/cloexec.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

#include <fmt/format.h>

#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
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

connection::traffic connection::figures() const noexcept {
  using clock = std::chrono::steady_clock;
  return {bytes_in_.load(std::memory_order_relaxed), bytes_out_.load(std::memory_order_relaxed),
          up_since_, clock::time_point{clock::duration{heard_at_.load(std::memory_order_relaxed)}}};
}

void connection::become_up() {
  {
    std::lock_guard guard{out_mtx_};
    up_since_ = std::chrono::steady_clock::now();
    heard_at_ = up_since_.time_since_epoch().count();
    up_ = true;
  }
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
  auto one = std::span{&body, 1};
  if (write(one, counted))
    return;
  // Not up yet (the handshake runs) or closed: queued for become_up, or dropped.
  std::lock_guard guard{out_mtx_};
  if (closed_) {
    if (counted)
      cfg_.queued->left(body.size());
    return;
  }
  enqueue_locked(one, 0, counted ? body.size() : 0);
}

namespace {

/// Each body's 4-byte length (big-endian), for the gathered write.
std::array<std::uint8_t, 4> length_prefix(std::size_t n) {
  return {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
          static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)};
}

}  // namespace

bool connection::write(std::span<std::vector<std::uint8_t>> bodies, bool counted) {
  constexpr std::size_t max_iov = 16;
  std::size_t total = 0;
  for (const auto& b : bodies)
    total += b.size() + 4;
  auto counted_bytes = counted ? total - 4 * bodies.size() : 0;
  auto now = std::chrono::steady_clock::now();
  std::unique_lock guard{out_mtx_};
  if (!up_ || closed_)
    return false;
  std::size_t sent = 0;
  bool idle = !writing_ && queue_.empty() && deferred_.size() + 2 * bodies.size() <= max_iov;
  // A sender that wrote a moment ago is sending a stream (casts): its packets gather in the
  // queue and leave in the I/O thread's gathered writes instead of one system call each.
  if (idle && now - last_direct_ >= cork_time) {
    // Idle: this thread writes, deferred packets first. Non-blocking (MSG_DONTWAIT) whatever
    // the socket's mode, and no SIGPIPE from a peer that went away (the read side reports it).
    std::array<std::array<std::uint8_t, 4>, max_iov / 2> prefixes;
    std::array<iovec, max_iov> iov;
    std::size_t k = 0;
    std::size_t deferred_bytes = 0;
    for (auto& d : deferred_) {
      iov[k++] = iovec{d.data(), d.size()};
      deferred_bytes += d.size();
    }
    for (std::size_t i = 0; i < bodies.size(); ++i) {
      prefixes[i] = length_prefix(bodies[i].size());
      iov[k++] = iovec{prefixes[i].data(), 4};
      if (!bodies[i].empty())
        iov[k++] = iovec{const_cast<std::uint8_t*>(bodies[i].data()), bodies[i].size()};
    }
    msghdr msg{};
    msg.msg_iov = iov.data();
    msg.msg_iovlen = k;
    auto n = ::sendmsg(socket_.native_handle(), &msg, MSG_DONTWAIT | MSG_NOSIGNAL);
    // An error other than a full socket is left to the I/O thread's write, which meets it
    // again and closes the connection there.
    sent = n > 0 ? static_cast<std::size_t>(n) : 0;
    bytes_out_.fetch_add(sent, std::memory_order_relaxed);
    last_direct_ = now;
    wrote_since_tick_ = true;
    if (sent == deferred_bytes + total) {
      deferred_.clear();
      if (counted)
        cfg_.queued->left(counted_bytes);
      return true;
    }
    // What the socket did not take: the rest of the deferred packets, then the bodies.
    std::size_t skip = std::min(sent, deferred_bytes);
    while (skip > 0 && skip >= deferred_.front().size()) {
      skip -= deferred_.front().size();
      deferred_.erase(deferred_.begin());
    }
    if (skip > 0)
      deferred_.front().erase(deferred_.front().begin(),
                              deferred_.front().begin() + static_cast<std::ptrdiff_t>(skip));
    sent -= std::min(sent, deferred_bytes);
  }
  enqueue_locked(bodies, sent, counted_bytes);
  return true;
}

bool connection::backlogged() {
  std::lock_guard guard{out_mtx_};
  return writing_ || !queue_.empty();
}

void connection::defer(std::vector<std::uint8_t> body) {
  std::lock_guard guard{out_mtx_};
  if (closed_ || !up_)
    return;
  auto prefix = length_prefix(body.size());
  body.insert(body.begin(), prefix.begin(), prefix.end());
  deferred_.push_back(std::move(body));
  if (deferred_.size() > max_deferred)  // many at once: the I/O thread writes them now
    enqueue_locked({}, 0, 0);
}

void connection::append_locked(const std::uint8_t* bytes, std::size_t n) {
  if (!tail_open_ || queue_.empty() || queue_.back().size() + n > chunk_size) {
    std::vector<std::uint8_t> chunk;
    if (!spares_.empty()) {
      chunk = std::move(spares_.back());
      spares_.pop_back();
    }
    // A lone packet gets a small chunk; a stream, which fills chunks (more queued, or a write
    // under way), gets whole ones at once (grown by doubling, a chunk left 60 KiB of smaller
    // buffers behind in the arena).
    bool lone = queue_.empty() && !writing_;
    chunk.reserve(std::max(n, lone ? first_chunk : chunk_size));
    queue_.push_back(std::move(chunk));
    tail_open_ = true;
  }
  auto& tail = queue_.back();
  tail.insert(tail.end(), bytes, bytes + n);
}

void connection::enqueue_locked(std::span<std::vector<std::uint8_t>> bodies, std::size_t skip,
                                std::size_t counted) {
  counted_queued_ += counted;
  // Deferred packets were put aside after everything queued, before these.
  for (auto& d : deferred_)
    append_locked(d.data(), d.size());
  deferred_.clear();
  for (auto& body : bodies) {
    auto prefix = length_prefix(body.size());
    std::size_t size = body.size() + 4;
    if (skip >= size) {  // written already
      skip -= size;
      continue;
    }
    std::size_t from = skip > 4 ? skip - 4 : 0;
    if (body.size() - from >= own_chunk_from) {
      // A large body joins as it is, behind its length in a buffer of its own (a chunk
      // opened for four bytes would be mostly empty).
      if (skip < 4)
        queue_.emplace_back(prefix.begin() + static_cast<std::ptrdiff_t>(skip), prefix.end());
      if (from > 0)
        body.erase(body.begin(), body.begin() + static_cast<std::ptrdiff_t>(from));
      queue_.push_back(std::move(body));
      tail_open_ = false;
      skip = 0;
      continue;
    }
    if (skip < 4)
      append_locked(prefix.data() + skip, 4 - skip);
    skip = 0;
    if (body.size() > from) {
      append_locked(body.data() + from, body.size() - from);
    }
  }
  if (up_ && !writing_ && !flush_posted_ && !queue_.empty()) {
    flush_posted_ = true;
    asio::post(socket_.get_executor(), [self = shared_from_this()] { self->flush(); });
  }
}

void connection::flush() {
  std::lock_guard guard{out_mtx_};
  flush_posted_ = false;
  if (!up_ || closed_ || writing_ || queue_.empty())
    return;
  // Everything queued goes out in one gathered write.
  in_flight_.swap(queue_);
  tail_open_ = false;
  counted_in_flight_ = std::exchange(counted_queued_, 0);
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(in_flight_.size());
  for (const auto& p : in_flight_)
    buffers.emplace_back(asio::buffer(p));
  writing_ = true;
  wrote_since_tick_ = true;
  asio::async_write(socket_, buffers,
                    [self = shared_from_this()](const error_code& ec, std::size_t n) {
                      self->bytes_out_.fetch_add(n, std::memory_order_relaxed);
                      {
                        std::lock_guard out{self->out_mtx_};
                        self->writing_ = false;
                        self->recycle_locked();
                        self->cfg_.queued->left(std::exchange(self->counted_in_flight_, 0));
                      }
                      if (self->closed_)
                        return;
                      if (ec) {
                        self->close(dist_error{system, "write: " + ec.message()});
                        return;
                      }
                      self->flush();
                    });
}

void connection::recycle_locked() {
  // As many chunks as the send gate lets wait (and one being filled): a flood of packets
  // then runs on the same memory, allocated once.
  const std::size_t keep = cfg_.queued->limit() / chunk_size + 1;
  for (auto& chunk : in_flight_) {
    if (spares_.size() >= keep)
      break;
    if (chunk.capacity() < first_chunk || chunk.capacity() > chunk_size)
      continue;  // a length in front of a large body, or a large body: not a chunk's size
    chunk.clear();
    spares_.push_back(std::move(chunk));
  }
  in_flight_.clear();
}

void connection::read_data() {
  // Straight into the reader's buffer, where the packets are decoded from.
  auto room = reader_.prepare(read_size);
  socket_.async_read_some(
    asio::buffer(room.data(), room.size()),
    [self = shared_from_this()](const error_code& ec, std::size_t n) {
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
  bytes_in_.fetch_add(n, std::memory_order_relaxed);
  heard_at_.store(std::chrono::steady_clock::now().time_since_epoch().count(),
                  std::memory_order_relaxed);
  if (auto fed = reader_.commit(n); !fed) {
    close(fed.error());
    return;
  }
  owner_.batch(true);
  std::span<const std::uint8_t> packet;
  while (!closed_ && reader_.next(packet)) {
    if (packet.empty())
      continue;  // a tick: it counted as traffic above
    auto decoded = decode_control(packet);
    if (!decoded) {
      if (decoded.error().fatal()) {
        owner_.batch(false);
        close(dist_error{malformed, fmt::format("{}: {}", to_string(decoded.error().what),
                                                decoded.error().detail)});
        return;
      }
      continue;  // a message we cannot represent: dropped, the link stays
    }
    owner_.received(*this, std::move(*decoded));
  }
  owner_.batch(false);
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
  bool tick = false;
  {
    std::lock_guard guard{out_mtx_};
    tick = !wrote_since_tick_ && !writing_ && deferred_.empty();
    if (!wrote_since_tick_)
      spares_ = {};  // quiet for a quarter of the tick time: the flood is over
    wrote_since_tick_ = false;
    enqueue_locked({}, 0, 0);  // deferred packets go out at the latest now
  }
  if (tick)
    send({});  // a tick: a packet of length 0
  arm_tick();
}

void connection::close(const dist_error& why) {
  if (closed_)
    return;
  timer_.cancel();
  {
    // Under the output lock: no sender is in the middle of a write on this socket.
    std::lock_guard guard{out_mtx_};
    closed_ = true;
    error_code ignored;
    socket_.shutdown(socket_type::shutdown_both, ignored);
    socket_.close(ignored);
    queue_.clear();
    tail_open_ = false;
    deferred_.clear();
    cfg_.queued->left(std::exchange(counted_queued_, 0));
  }
  owner_.down(shared_from_this(), why);
}

}  // namespace otp::dist::erlang
