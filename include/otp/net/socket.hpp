#pragma once

#include "otp/expected.hpp"
#include "otp/net/endpoint.hpp"
#include "otp/net/framing.hpp"
#include "otp/net/messages.hpp"
#include "otp/net/net_error.hpp"
#include "otp/timeout.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace otp::net {

namespace detail {
class connection;
struct socket_access;
}  // namespace detail

/// What `socket::close` does with bytes still queued for sending.
enum class close_mode {
  /// They are still sent, by an I/O thread, within the listener's `linger`; then the
  /// connection closes. What `send` accepted reaches the peer unless the peer is gone.
  flush,
  /// They are dropped and the connection closes at once.
  discard,
};

/// How a socket reads, as Erlang's `{active, false | once | true | N}`.
struct active_mode {
  enum class kind { off, once, on, count };
  kind what = kind::off;
  std::uint32_t n = 0;
  friend bool operator==(const active_mode&, const active_mode&) = default;
};

namespace active {
/// Passive: nothing is read until `socket::recv` asks (`{active, false}`).
inline constexpr active_mode off{active_mode::kind::off, 0};
/// The next packet arrives as a message, then the socket is passive again: the process asks
/// for each packet, so a slow process slows its peer down (`{active, once}`).
inline constexpr active_mode once{active_mode::kind::once, 0};
/// Every packet arrives as a message as soon as it is read (`{active, true}`).
inline constexpr active_mode on{active_mode::kind::on, 0};
/// `n` packets, then a `passive` message and passive mode (`{active, N}`).
constexpr active_mode n(std::uint32_t count) {
  return {active_mode::kind::count, count};
}
}  // namespace active

/// A connected stream socket (TCP or Unix), owned by one process: only that process may use
/// it, as only an Erlang port's controlling process receives its messages. Received packets
/// arrive in the owner's `handle_info` as `net::data`, `net::closed`, `net::error`,
/// `net::passive`, `net::send_queue_empty` (a socket from `accept`, listen_socket.hpp, sends
/// them to its owner's mailbox). Only `read` blocks: reads and writes are non-blocking system
/// calls made by the owner; an I/O thread only waits for readiness. Destroying the socket
/// closes it.
class socket {
 public:
  socket() = default;
  explicit socket(std::shared_ptr<detail::connection> impl) noexcept : impl_(std::move(impl)) {}
  socket(socket&&) noexcept = default;
  socket& operator=(socket&&) noexcept;
  socket(const socket&) = delete;
  socket& operator=(const socket&) = delete;
  ~socket();

  explicit operator bool() const noexcept { return static_cast<bool>(impl_); }
  bool is_open() const noexcept;
  /// The id carried by this socket's messages.
  socket_id id() const noexcept;

  /// Sends one packet (with its length header in a length-prefixed framing). Returns once the
  /// bytes are written or queued; bytes the kernel did not take are sent as the socket
  /// becomes writable. Errors: `closed`, `frame_too_large`, `send_queue_full`,
  /// `not_connected`.
  expected<void, net_error> send(std::string_view payload);
  /// Unsent bytes queued in user space.
  std::size_t queued() const noexcept;

  /// Sets the read mode (Erlang's `inet:setopts(S, [{active, ...}])`).
  void set_active(active_mode mode);
  active_mode active() const noexcept;
  /// Changes the framing for the bytes that follow (`{packet, ...}`, `{packet_size, ...}`).
  /// Errors (logged; the framing stays as it was): `bad_option` for a framing `validate`
  /// refuses (a `max_size` its length header cannot carry), `not_connected`.
  expected<void, net_error> set_framing(framing f);

  /// Asynchronous passive read: asks for one packet — in `raw` framing exactly `length`
  /// bytes, or what is there when `length` is 0. It arrives as a message, `net::data`, or
  /// `net::error` with `timeout` after `t` (the socket stays open), or `net::closed`. The
  /// process is not blocked. For the blocking form, `gen_tcp:recv`, see `read`.
  void recv(timeout t = infinity, std::size_t length = 0);

  /// Blocking passive read, `gen_tcp:recv(Socket, Length, Timeout)`: returns the next packet
  /// (in `raw` framing exactly `length` bytes, or what is there when `length` is 0), or
  /// `closed` (the peer closed; the socket is closed), `timeout` after `t` (the socket stays
  /// open), `frame_too_large` or `system` (the socket is closed), `bad_option` on a socket in
  /// an active mode or with a `recv` pending. Inside a process it parks the process (its
  /// thread runs others; a kill ends the wait at once); elsewhere it blocks the thread.
  expected<std::string, net_error> read(timeout t = infinity, std::size_t length = 0);

  /// Closes the socket; no message follows. Bytes still queued are sent first (`flush`,
  /// bounded by the listener's `linger`) or dropped (`discard`). The process is not blocked:
  /// an I/O thread sends the rest. Destroying the socket closes it with `flush`.
  void close(close_mode mode = close_mode::flush) noexcept;

  endpoint peer() const;
  endpoint local() const;

 private:
  friend struct detail::socket_access;
  std::shared_ptr<detail::connection> impl_;
};

}  // namespace otp::net
