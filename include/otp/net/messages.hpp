#pragma once

// What a socket delivers to its owning process's `handle_info`, as an Erlang port delivers
// `{tcp, S, Data}`, `{tcp_closed, S}`, `{tcp_error, S, Reason}` and `{tcp_passive, S}`.

#include "otp/detail/info_check.hpp"
#include "otp/net/net_error.hpp"

#include <cstdint>
#include <string>

namespace otp::net {

/// Identifies one socket of a process that owns several.
using socket_id = std::uint64_t;

/// A received packet (one frame, or one read in `raw` mode).
struct data {
  socket_id socket = 0;
  std::string bytes;
};

/// The peer closed the connection. Default when unhandled: the process stops `normal`.
struct closed {
  socket_id socket = 0;
};

/// A read failed, a frame was too large, or `recv` / the idle timeout expired. The socket is
/// closed (except after a `recv` timeout). Default when unhandled: the process stops with
/// `{shutdown, Error}`.
struct error {
  socket_id socket = 0;
  net_error reason;
};

/// `active::n(N)` delivered its N packets; the socket is passive again.
struct passive {
  socket_id socket = 0;
};

/// The bytes `send` had to queue have all been written to the socket (sent only after a
/// `send` queued some). A handler that wants to close after its last reply, or to pace a
/// producer, waits for it. Default when unhandled: nothing.
struct send_queue_empty {
  socket_id socket = 0;
};

/// The listener is draining (graceful stop): finish what is under way and close. Default
/// when unhandled: nothing; the connection is closed at the drain deadline.
struct draining {};

}  // namespace otp::net

// A connection handler gets these in handle_info straight from its socket, without listing them
// in info_types (a gen_server that owns a passive socket lists them).
namespace otp::detail {
template <>
inline constexpr bool delivered_unlisted<net::data> = true;
template <>
inline constexpr bool delivered_unlisted<net::closed> = true;
template <>
inline constexpr bool delivered_unlisted<net::error> = true;
template <>
inline constexpr bool delivered_unlisted<net::passive> = true;
template <>
inline constexpr bool delivered_unlisted<net::send_queue_empty> = true;
template <>
inline constexpr bool delivered_unlisted<net::draining> = true;
}  // namespace otp::detail
