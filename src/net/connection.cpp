#include "net/connection.hpp"

#include "net/io_executor.hpp"

#include "otp/logger.hpp"
#include "otp/node.hpp"
#include "process/process_core.hpp"

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>
#include <limits>

#include <netinet/in.h>
#include <sys/un.h>

namespace otp::net::detail {

namespace asio = boost::asio;
using otp::detail::process_core;
using otp::detail::task_ref;

namespace {

std::atomic<socket_id> next_socket_id{1};

/// Shared by the connections a scheduler thread runs: reads land here first, so an idle
/// connection owns no read buffer.
thread_local std::array<char, 64 * 1024> read_buffer;

bool would_block(const boost::system::error_code& ec) {
  return ec == asio::error::would_block || ec == asio::error::try_again;
}

bool is_disconnect(const boost::system::error_code& ec) {
  return ec == asio::error::eof || ec == asio::error::connection_reset
         || ec == asio::error::broken_pipe || ec == asio::error::connection_aborted;
}

}  // namespace

void notify(const caf::actor_addr& owner, std::shared_ptr<otp::detail::process_task> task,
            std::uint32_t event) {
  if (!task)
    return;
  auto ptr = caf::actor_cast<caf::strong_actor_ptr>(owner);
  if (!ptr)
    return;
  auto* executor = io_executor::current();
  if (executor != nullptr) {
    // On an I/O thread and the process idle (the usual case for a readiness): run the task
    // here and now, without a mailbox element and a resume around it.
    auto* core = static_cast<process_core*>(caf::actor_cast<caf::abstract_actor*>(ptr));
    if (executor->run([&] { return core->run_if_idle(*task, event, executor); }))
      return;
  }
  // The task rides in the mailbox element itself (one allocation per I/O event), weakly: a
  // task its owner drops meanwhile is skipped.
  ptr->get()->enqueue(caf::make_mailbox_element(nullptr, caf::make_message_id(), {},
                                                task_ref{std::move(task), event}),
                      executor);
}

endpoint to_endpoint(const stream::endpoint& e) {
  const auto* sa = e.data();
  if (sa->sa_family == AF_UNIX) {
    const auto* un = reinterpret_cast<const sockaddr_un*>(sa);
    auto max =
      e.size() > offsetof(sockaddr_un, sun_path) ? e.size() - offsetof(sockaddr_un, sun_path) : 0;
    return endpoint::local(std::string{un->sun_path, ::strnlen(un->sun_path, max)});
  }
  asio::ip::tcp::endpoint ip;
  if (e.size() <= ip.capacity()) {
    std::memcpy(ip.data(), sa, e.size());
    ip.resize(e.size());
    return endpoint::tcp(ip.address().to_string(), ip.port());
  }
  return endpoint{};
}

connection::connection(std::shared_ptr<io_pool> pool, stream_socket sock, connection_options opts)
  : pool_(std::move(pool)),
    socket_(std::move(sock)),
    id_(next_socket_id.fetch_add(1, std::memory_order_relaxed)),
    decoder_(opts.framing),
    send_queue_limit_(opts.send_queue_limit),
    idle_timeout_(opts.idle_timeout),
    frame_timeout_(opts.frame_timeout),
    linger_(opts.linger) {
  boost::system::error_code ec;
  socket_.non_blocking(true, ec);
}

connection::~connection() {
  close();
}

void connection::attach(const handler_table* table) {
  owner_ = process_core::current();
  if (!owner_)
    throw std::logic_error("otp::net: a socket must be attached inside a process");
  owner_addr_ = owner_->address();
  owner_->note_connection();
  table_ = table;
  last_read_ = stamp(owner_->now());
  if (idle_timeout_.get() != infinity)
    post_self_after(idle_timeout_.get(), idle_check);
}

// -- events from the I/O threads, run in the owning process ---------------------------------

void connection::run(process_core& self, std::uint32_t event) {
  switch (event & 0xf) {
    case readable:
      read_armed_ = false;
      on_readable(self);
      break;
    case writable:
      write_armed_ = false;
      on_writable(self);
      break;
    case recv_timeout:
      if (recv_pending_ && (event >> 4) == (recv_generation_ & 0x0fffffff)) {
        recv_pending_ = false;
        net::error e{id_, net_error{net_error::kind::timeout, "recv"}};
        if (!table_->error(self, e))
          self.exit_now(exit_reason::shutdown(to_string(e.reason)));
      }
      break;
    case idle_check:
      on_idle_check(self);
      break;
    case frame_check:
      on_frame_check(self);
      break;
    case deliver:
      deliver_posted_ = false;
      deliver_ready(self);
      break;
    default:
      break;
  }
}

expected<bool, net_error> connection::read_available() {
  bool got = false;
  for (;;) {
    boost::system::error_code ec;
    auto n = socket_.read_some(asio::buffer(read_buffer), ec);
    if (would_block(ec))
      break;
    if (ec == asio::error::eof || is_disconnect(ec)) {
      eof_ = true;
      break;
    }
    if (ec)
      return unexpected{net_error{net_error::kind::system, ec.message()}};
    decoder_.feed(std::string_view{read_buffer.data(), n});
    got = true;
    if (n < read_buffer.size())
      break;
  }
  return got;
}

void connection::on_readable(process_core& self) {
  if (closed_)
    return;
  if (auto r = read_available(); !r) {
    fail(self, std::move(r.error()));
    return;
  }
  if (idle_timeout_.get() != infinity)
    last_read_ = stamp(self.now());
  if (!account_buffered()) {
    fail(self, net_error{net_error::kind::buffer_limit, "listener's max_buffered"});
    return;
  }
  deliver_ready(self);
  (void)account_buffered();  // frames handed over: what is left
}

bool connection::account_buffered() noexcept {
  if (!pool_->limits_buffered())
    return true;
  auto held = closed_ ? std::size_t{0} : decoder_.buffered();
  auto now = static_cast<std::uint32_t>(std::min<std::size_t>(held, UINT32_MAX));
  bool over = pool_->rebalance(accounted_, now);
  accounted_ = now;
  return !over;
}

bool connection::wants_packet() const noexcept {
  if (recv_pending_)
    return true;
  switch (mode_.what) {
    case active_mode::kind::off:
      return false;
    case active_mode::kind::once:
    case active_mode::kind::on:
      return true;
    case active_mode::kind::count:
      return remaining_ > 0;
  }
  return false;
}

bool connection::consume_permit() noexcept {
  if (recv_pending_) {
    recv_pending_ = false;
    ++recv_generation_;  // its timeout, if any, is now stale
    return false;
  }
  switch (mode_.what) {
    case active_mode::kind::once:
      mode_ = active::off;
      return false;
    case active_mode::kind::count:
      if (--remaining_ == 0) {
        mode_ = active::off;
        return true;
      }
      return false;
    default:
      return false;
  }
}

void connection::deliver_ready(process_core& self) {
  if (delivering_ || closed_)
    return;
  delivering_ = true;
  while (!closed_ && !self.is_stopping() && wants_packet()) {
    std::optional<std::string> frame;
    if (recv_pending_ && recv_length_ > 0 && decoder_.config().packet == packet::raw) {
      frame = decoder_.take_exact(recv_length_);
    } else {
      auto next = decoder_.next();
      if (!next) {
        delivering_ = false;
        fail(self, std::move(next.error()));
        return;
      }
      frame = std::move(*next);
    }
    watch_partial_frame(self, !frame && decoder_.buffered() > 0);
    if (!frame)
      break;
    bool now_passive = consume_permit();
    net::data packet{id_, std::move(*frame)};
    if (!table_->data(self, packet))
      self.home().logger().log(log_level::warning, "unexpected_message",
                               "{} received net::data but has no handle_info for it",
                               self.display_name());
    if (now_passive && !closed_ && !self.is_stopping()) {
      net::passive p{id_};
      table_->passive(self, p);
    }
  }
  delivering_ = false;
  if (closed_ || self.is_stopping())
    return;
  if (eof_) {
    if (wants_packet())
      deliver_closed(self);
    return;
  }
  if (wants_packet())
    arm_read();
}

void connection::deliver_closed(process_core& self) {
  // The peer closed its side: what we still had queued may yet reach it (a half-close).
  close();
  net::closed c{id_};
  if (!table_->closed(self, c))
    self.exit_now(exit_reason::normal());
}

void connection::fail(process_core& self, net_error reason, bool close_socket) {
  if (close_socket)
    close();
  auto level = reason.what == net_error::kind::timeout ? log_level::info : log_level::warning;
  self.home().logger().log(level, "net_error", "{} connection {}: {}", self.display_name(), id_,
                           reason);
  net::error e{id_, std::move(reason)};
  if (!table_->error(self, e))
    self.exit_now(exit_reason::shutdown(to_string(e.reason)));
}

void connection::on_idle_check(process_core& self) {
  if (closed_ || idle_timeout_.get() == infinity)
    return;
  auto idle = since(last_read_, self.now());
  if (idle >= idle_timeout_.get())
    fail(self, net_error{net_error::kind::timeout, "idle"});
  else
    post_self_after(idle_timeout_.get() - idle, idle_check);
}

void connection::watch_partial_frame(process_core& self, bool partial) {
  if (frame_timeout_.get() == infinity)
    return;
  if (!partial) {
    frame_started_ = 0;
    return;
  }
  if (frame_started_ != 0)
    return;  // the same unfinished frame: its deadline runs on
  frame_started_ = std::max<std::uint32_t>(stamp(self.now()), 1);  // 0 means none
  if (!frame_check_armed_) {
    frame_check_armed_ = true;
    post_self_after(frame_timeout_.get(), frame_check);
  }
}

void connection::on_frame_check(process_core& self) {
  // A slow-drip peer (a byte every few hundred ms) keeps a connection from ever being idle:
  // only a deadline on each frame closes it.
  frame_check_armed_ = false;
  if (closed_ || frame_started_ == 0)
    return;
  auto spent = since(frame_started_, self.now());
  if (spent >= frame_timeout_.get()) {
    fail(self, net_error{net_error::kind::timeout, "frame"});
    return;
  }
  frame_check_armed_ = true;
  post_self_after(frame_timeout_.get() - spent, frame_check);
}

// -- scheduling ------------------------------------------------------------------------------

void connection::schedule() {
  if (closed_ || !owner_)
    return;
  if (decoder_.buffered() > 0 || eof_) {
    post_self(deliver);
  } else if (wants_packet()) {
    arm_read();
  }
}

void connection::arm_read() {
  if (read_armed_ || closed_)
    return;
  read_armed_ = true;
  // The handler holds the connection, so that read_wait_ outlives the operation in it (a
  // closed socket completes its waits with operation_aborted, and the socket handle's
  // destructor closes it).
  socket_.async_wait(stream_socket::wait_read,
                     asio::bind_allocator(wait_allocator<void>{read_wait_},
                                          [self = shared_from_this(), owner = owner_addr_](
                                            const auto&) { notify(owner, self, readable); }));
}

void connection::arm_write() {
  if (write_armed_ || closed_)
    return;
  write_armed_ = true;
  socket_.async_wait(stream_socket::wait_write,
                     [task = weak_from_this(), owner = owner_addr_](const auto&) {
                       notify(owner, task.lock(), writable);
                     });
}

void connection::post_self(std::uint32_t event) {
  if (event == deliver) {
    if (deliver_posted_)
      return;
    deliver_posted_ = true;
  }
  notify(owner_addr_, weak_from_this().lock(), event);
}

void connection::post_self_after(timeout delay, std::uint32_t event) {
  caf::delayed_anon_send(caf::actor_cast<caf::actor>(owner_addr_), delay,
                         task_ref{weak_from_this(), event});
}

// -- the socket API --------------------------------------------------------------------------

expected<void, net_error> connection::send(std::string_view payload) {
  if (closed_)
    return unexpected{net_error{net_error::kind::closed}};
  auto header = encode_header(decoder_.config(), payload.size());
  if (!header)
    return unexpected{std::move(header.error())};
  auto total = header->size() + payload.size();
  if (queued() > 0) {
    if (queued() + total > send_queue_limit_)
      return unexpected{net_error{net_error::kind::send_queue_full}};
    out_->bytes.append(*header);
    out_->bytes.append(payload);
    return {};
  }
  boost::system::error_code ec;
  std::size_t n = 0;
  if (header->empty()) {
    n = socket_.write_some(asio::buffer(payload), ec);
  } else {
    std::array<asio::const_buffer, 2> buffers{asio::buffer(*header), asio::buffer(payload)};
    n = socket_.write_some(buffers, ec);
  }
  if (would_block(ec)) {
    n = 0;
  } else if (ec) {
    // The read side reports the disconnect to the owner; the sender learns it here.
    return unexpected{net_error{net_error::kind::closed, ec.message()}};
  }
  if (n < total) {
    out_ = std::make_unique<unsent>();
    if (n < header->size()) {
      out_->bytes.append(*header, n);
      out_->bytes.append(payload);
    } else {
      out_->bytes.append(payload.substr(n - header->size()));
    }
    arm_write();
  }
  return {};
}

void connection::on_writable(process_core& self) {
  if (closed_ || queued() == 0)
    return;
  boost::system::error_code ec;
  auto n = socket_.write_some(asio::buffer(out_->bytes.data() + out_->offset, queued()), ec);
  if (would_block(ec)) {
    arm_write();
    return;
  }
  if (ec) {
    if (is_disconnect(ec)) {
      eof_ = true;
      deliver_closed(self);
    } else {
      fail(self, net_error{net_error::kind::system, ec.message()});
    }
    return;
  }
  out_->offset += n;
  if (queued() > 0) {
    arm_write();
    return;
  }
  out_.reset();
  net::send_queue_empty empty{id_};
  table_->send_queue_empty(self, empty);
}

void connection::set_active(active_mode mode) {
  mode_ = mode;
  remaining_ = mode.what == active_mode::kind::count ? mode.n : 0;
  if (mode.what == active_mode::kind::count && mode.n == 0)
    mode_ = active::off;
  if (!delivering_)
    schedule();
}

expected<void, net_error> connection::set_framing(framing f) {
  // The listener's framing is checked when it starts; a handler's change is checked here, so
  // that a limit the header cannot carry is refused rather than never reached.
  if (auto ok = net::validate(f); !ok) {
    if (owner_)
      owner_->home().logger().log(log_level::warning, "net_error",
                                  "{} connection {}: set_framing: {}", owner_->display_name(), id_,
                                  ok.error());
    return ok;
  }
  // Bytes already buffered are cut with the new framing, as Erlang's setopts does.
  frame_decoder next{f};
  while (decoder_.buffered() > 0) {
    auto rest = decoder_.take_exact(decoder_.buffered());
    if (rest)
      next.feed(*rest);
  }
  decoder_ = std::move(next);
  return {};
}

void connection::recv(timeout t, std::size_t length) {
  recv_pending_ = true;
  // One passive read of more than 4 GiB is clamped to 4 GiB (the field is 32 bits).
  recv_length_ = static_cast<std::uint32_t>(
    std::min<std::size_t>(length, std::numeric_limits<std::uint32_t>::max()));
  ++recv_generation_;
  if (t != infinity && owner_)
    post_self_after(t, recv_timeout | ((recv_generation_ & 0x0fffffff) << 4));
  if (!delivering_)
    schedule();
}

void connection::close(close_mode mode) noexcept {
  if (closed_)
    return;
  closed_ = true;
  (void)account_buffered();  // holds nothing from now on
  if (mode == close_mode::flush && out_ && linger())
    return;
  boost::system::error_code ec;
  socket_.close(ec);
  out_.reset();
}

bool connection::linger() noexcept {
  // The owner is done with the socket (`closed_`): from here on only the socket's I/O thread
  // touches it and the unsent bytes. It writes them, then closes; at the deadline it closes
  // anyway, which cancels the write. Both handlers run on that one thread.
  auto self = weak_from_this().lock();  // none while the connection is being destroyed
  if (!self || linger_.get() <= timeout::zero())
    return false;
  try {
    auto deadline = std::make_shared<asio::steady_timer>(socket_.get_executor());
    auto pending =
      asio::buffer(out_->bytes.data() + out_->offset, out_->bytes.size() - out_->offset);
    asio::async_write(socket_, pending,
                      [self, deadline](const boost::system::error_code&, std::size_t) {
                        deadline->cancel();
                        boost::system::error_code ignored;
                        self->socket_.close(ignored);
                        self->out_.reset();
                      });
    if (linger_.get() == infinity)
      return true;
    deadline->expires_after(linger_.get());
    deadline->async_wait([self](const boost::system::error_code& ec) {
      if (ec != asio::error::operation_aborted) {
        boost::system::error_code ignored;
        self->socket_.close(ignored);
      }
    });
    return true;
  } catch (...) {
    return false;  // no memory for the timer: close at once
  }
}

endpoint connection::peer() const {
  if (closed_)  // a lingering socket belongs to its I/O thread
    return endpoint{};
  boost::system::error_code ec;
  auto e = socket_.remote_endpoint(ec);
  return ec ? endpoint{} : to_endpoint(e);
}

endpoint connection::local() const {
  if (closed_)
    return endpoint{};
  boost::system::error_code ec;
  auto e = socket_.local_endpoint(ec);
  return ec ? endpoint{} : to_endpoint(e);
}

}  // namespace otp::net::detail

// -- otp::net::socket ----------------------------------------------------------------------------

namespace otp::net {

namespace {

net_error not_connected() {
  return net_error{net_error::kind::not_connected};
}

}  // namespace

socket& socket::operator=(socket&& other) noexcept {
  if (this != &other) {
    close();
    impl_ = std::move(other.impl_);
  }
  return *this;
}

socket::~socket() {
  close();
}

bool socket::is_open() const noexcept {
  return impl_ && impl_->is_open();
}

socket_id socket::id() const noexcept {
  return impl_ ? impl_->id() : 0;
}

expected<void, net_error> socket::send(std::string_view payload) {
  if (!impl_)
    return unexpected{not_connected()};
  return impl_->send(payload);
}

std::size_t socket::queued() const noexcept {
  return impl_ ? impl_->queued() : 0;
}

void socket::set_active(active_mode mode) {
  if (impl_)
    impl_->set_active(mode);
}

active_mode socket::active() const noexcept {
  return impl_ ? impl_->active() : active::off;
}

expected<void, net_error> socket::set_framing(framing f) {
  if (!impl_)
    return unexpected{not_connected()};
  return impl_->set_framing(f);
}

void socket::recv(timeout t, std::size_t length) {
  if (impl_)
    impl_->recv(t, length);
}

void socket::close(close_mode mode) noexcept {
  if (impl_)
    impl_->close(mode);
}

endpoint socket::peer() const {
  return impl_ ? impl_->peer() : endpoint{};
}

endpoint socket::local() const {
  return impl_ ? impl_->local() : endpoint{};
}

namespace detail {

void attach(socket& sock, const handler_table* table) {
  if (auto* impl = socket_access::get(sock))
    impl->attach(table);
}

}  // namespace detail

}  // namespace otp::net
