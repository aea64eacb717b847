#pragma once

#include "net/io_pool.hpp"
#include "net/wait_memory.hpp"
#include "otp/net/framing.hpp"
#include "otp/net/listener.hpp"
#include "otp/net/socket.hpp"
#include "process/process_task.hpp"

#include <boost/asio/generic/stream_protocol.hpp>

#include <caf/actor_addr.hpp>
#include <caf/actor_clock.hpp>

#include <algorithm>
#include <limits>
#include <memory>
#include <optional>
#include <string>

namespace otp::net::detail {

using stream = boost::asio::generic::stream_protocol;
/// A connected socket bound to one io_context's executor (no type-erased executor).
using stream_socket =
  boost::asio::basic_stream_socket<stream, boost::asio::io_context::executor_type>;

/// A timeout kept in milliseconds in 4 bytes; the largest value, and anything from about 49
/// days on, stands for `infinity`.
/// The node's clock in milliseconds, modulo 2^32: a moment in 4 bytes.
inline std::uint32_t stamp(caf::actor_clock::time_point t) noexcept {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  return static_cast<std::uint32_t>(ms);
}

/// The time from the moment `then` to `now` (less than 49 days).
inline timeout since(std::uint32_t then, caf::actor_clock::time_point now) noexcept {
  return timeout{static_cast<std::uint32_t>(stamp(now) - then)};
}

class short_timeout {
 public:
  explicit short_timeout(timeout t) noexcept
    : ms_(t == infinity || t.count() >= forever
            ? forever
            : static_cast<std::uint32_t>(std::max<timeout::rep>(t.count(), 0))) {}
  timeout get() const noexcept { return ms_ == forever ? infinity : timeout{ms_}; }

 private:
  static constexpr std::uint32_t forever = std::numeric_limits<std::uint32_t>::max();
  std::uint32_t ms_;
};

struct connection_options {
  net::framing framing = {};
  timeout idle_timeout = infinity;
  timeout frame_timeout = infinity;
  std::size_t send_queue_limit = 4 * 1024 * 1024;
  timeout linger = std::chrono::milliseconds{10000};
};

/// Posts `task`'s `event` to the process `owner`, from any thread (an I/O completion). A
/// null task (its owner dropped it) posts nothing.
void notify(const caf::actor_addr& owner, std::shared_ptr<otp::detail::process_task> task,
            std::uint32_t event);

/// Converts an Asio generic endpoint (IPv4, IPv6 or Unix) to ours.
endpoint to_endpoint(const stream::endpoint& e);

/// One connected socket and its owner's view of it: read mode, framing, unsent bytes. Only
/// the owning process touches it; I/O threads only report readiness (async_wait), so reads
/// and writes are non-blocking system calls in the owner, and an idle connection holds no
/// buffer.
class connection final : public otp::detail::process_task,
                         public std::enable_shared_from_this<connection> {
 public:
  connection(std::shared_ptr<io_pool> pool, stream_socket sock, connection_options opts);
  ~connection() override;

  /// Binds the connection to the calling process, whose handler gets the events.
  void attach(const handler_table* table);
  void run(otp::detail::process_core& self, std::uint32_t event) override;

  bool is_open() const noexcept { return !closed_; }
  socket_id id() const noexcept { return id_; }
  expected<void, net_error> send(std::string_view payload);
  std::size_t queued() const noexcept {
    return out_ && !closed_ ? out_->bytes.size() - out_->offset : 0;
  }
  void set_active(active_mode mode);
  active_mode active() const noexcept { return mode_; }
  expected<void, net_error> set_framing(framing f);
  void recv(timeout t, std::size_t length);
  /// The blocking passive read (`socket::read`, in socket_read.cpp).
  expected<std::string, net_error> read(timeout t, std::size_t length);
  void close(close_mode mode = close_mode::flush) noexcept;
  endpoint peer() const;
  endpoint local() const;

 private:
  enum event_kind : std::uint32_t {
    readable = 1,
    writable,
    recv_timeout,
    idle_check,
    deliver,
    frame_check,
  };

  bool wants_packet() const noexcept;
  /// What `read` returns if the bytes buffered hold it: a packet, an error, or nothing yet.
  std::optional<expected<std::string, net_error>> take_packet(std::size_t length);
  /// Reads what the socket holds into the decoder without blocking: true if it read any,
  /// `eof_` set if the peer closed, an error if the read failed.
  expected<bool, net_error> read_available();
  /// Parks the process (or blocks the thread) until the socket is readable or `t` passed.
  void wait_readable(timeout t);
  bool consume_permit() noexcept;
  void schedule();
  void arm_read();
  void arm_write();
  void post_self(std::uint32_t event);
  void post_self_after(timeout delay, std::uint32_t event);
  void on_readable(otp::detail::process_core& self);
  void on_writable(otp::detail::process_core& self);
  void deliver_ready(otp::detail::process_core& self);
  void deliver_closed(otp::detail::process_core& self);
  void fail(otp::detail::process_core& self, net_error reason, bool close_socket = true);
  void on_idle_check(otp::detail::process_core& self);
  /// After a read: starts the deadline of a frame begun and not finished, ends a finished one's.
  void watch_partial_frame(otp::detail::process_core& self, bool partial);
  void on_frame_check(otp::detail::process_core& self);
  /// Counts the bytes this connection holds in the listener's total; false when it must go.
  bool account_buffered() noexcept;
  bool linger() noexcept;

  std::shared_ptr<io_pool> pool_;  // outlives the socket
  stream_socket socket_;
  otp::detail::process_core* owner_ = nullptr;
  caf::actor_addr owner_addr_;
  const handler_table* table_ = nullptr;
  socket_id id_;
  frame_decoder decoder_;
  active_mode mode_ = active::off;
  std::uint32_t remaining_ = 0;
  std::uint32_t recv_length_ = 0;
  /// Bytes the socket did not take yet; out of line, since most connections have none.
  struct unsent {
    std::string bytes;
    std::size_t offset = 0;
  };
  std::unique_ptr<unsent> out_;
  wait_memory read_wait_;
  std::size_t send_queue_limit_;
  // Moments as millisecond stamps of the node's clock in 4 bytes (they wrap every 49 days; only
  // differences are used, over much shorter spans).
  std::uint32_t last_read_ = 0;
  std::uint32_t frame_started_ = 0;  // 0: no unfinished frame
  // The listener's timeouts in 4 bytes each (see short_timeout): an idle connection's size is
  // what a node with many connections pays for.
  short_timeout idle_timeout_;
  short_timeout frame_timeout_;
  short_timeout linger_;
  std::uint32_t recv_generation_ = 0;
  std::uint32_t accounted_ = 0;  // bytes counted in the listener's total (max_buffered)
  bool recv_pending_ = false;
  bool read_armed_ = false;
  bool write_armed_ = false;
  bool deliver_posted_ = false;
  bool frame_check_armed_ = false;
  bool delivering_ = false;
  bool eof_ = false;
  bool closed_ = false;
};

/// The library's way into a socket handle.
struct socket_access {
  static connection* get(socket& s) noexcept { return s.impl_.get(); }
};

}  // namespace otp::net::detail
