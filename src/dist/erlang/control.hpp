#pragma once

// The control messages of Erlang's distribution in data mode, as typed values, and their
// bytes. A node that does not advertise DIST_HDR_ATOM_CACHE gets, and sends, pass-through
// packets: 112 ('p'), the control message as a term (131 ...), then for the messages that
// carry one, the message itself as a second term. The control message is a tuple whose first
// element is the operation (ERTS User's Guide, "Distribution Protocol", "Protocol between
// connected nodes").

#include "otp/term.hpp"
#include "otp/term/etf.hpp"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace otp::dist::erlang {

namespace op {
inline constexpr std::int64_t link = 1;
inline constexpr std::int64_t send = 2;
inline constexpr std::int64_t exit = 3;
inline constexpr std::int64_t reg_send = 6;
inline constexpr std::int64_t exit2 = 8;
inline constexpr std::int64_t monitor_p = 19;
inline constexpr std::int64_t demonitor_p = 20;
inline constexpr std::int64_t monitor_p_exit = 21;
inline constexpr std::int64_t send_sender = 22;
inline constexpr std::int64_t unlink_id = 35;
inline constexpr std::int64_t unlink_id_ack = 36;
}  // namespace op

/// LINK: {1, FromPid, ToPid}.
struct link_msg {
  erlang_pid from, to;
};
/// SEND {2, Unused, ToPid} or SEND_SENDER {22, FromPid, ToPid} (`from` set), then Message.
struct send_msg {
  std::optional<erlang_pid> from;
  erlang_pid to;
  term message;
};
/// REG_SEND: {6, FromPid, Unused, ToName}, then Message.
struct reg_send_msg {
  erlang_pid from;
  atom to;
  term message;
};
/// EXIT {3, FromPid, ToPid, Reason} (a linked process exited) or EXIT2 {8, ...} (`exit/2`).
struct exit_msg {
  erlang_pid from, to;
  term reason;
  bool exit2 = false;
};
/// UNLINK_ID {35, Id, FromPid, ToPid} or its acknowledgement UNLINK_ID_ACK {36, ...}.
struct unlink_id_msg {
  std::uint64_t id = 0;
  erlang_pid from, to;
  bool ack = false;
};
/// MONITOR_P {19, FromPid, ToProc, Ref} or DEMONITOR_P {20, ...}; ToProc is a pid or a name.
struct monitor_msg {
  erlang_pid from;
  term target;
  erlang_ref ref;
  bool demonitor = false;
};
/// MONITOR_P_EXIT {21, FromProc, ToPid, Ref, Reason}: the monitored process (pid or name) is
/// gone.
struct monitor_exit_msg {
  term from;
  erlang_pid to;
  erlang_ref ref;
  term reason;
};

using control_message = std::variant<link_msg, send_msg, reg_send_msg, exit_msg, unlink_id_msg,
                                     monitor_msg, monitor_exit_msg>;

/// Why a data-mode packet was not a control message we act on.
struct control_error {
  enum class kind {
    not_pass_through,  // the first byte is not 112 (an atom-cache header we never asked for)
    bad_control,       // the control term does not decode, or is not a control tuple
    unsupported,       // a valid operation caf-otp does not handle (SPAWN_REQUEST, ...)
    bad_message,       // the message term does not decode (a fun, a bit string, garbage)
    missing_message,   // SEND / REG_SEND without the message term
    trailing_bytes,    // bytes after the last term
  };
  kind what = kind::bad_control;
  std::int64_t operation = 0;  // when known
  std::string detail = {};

  /// Whether the connection survives it: a message it cannot represent is dropped (Erlang
  /// would take it), a packet that breaks the protocol ends the connection.
  bool fatal() const noexcept { return what != kind::unsupported && what != kind::bad_message; }
};

std::string_view to_string(control_error::kind k) noexcept;

/// Decodes one data-mode packet (not a tick: ticks are empty).
expected<control_message, control_error> decode_control(std::span<const std::uint8_t> packet,
                                                        const etf::decode_options& options = {});

/// The packet body (112, the control term, the message term) for `m`, without the 4-byte length.
std::vector<std::uint8_t> encode_control(const control_message& m);

/// The body of a message to the registered name `to` from `from` (REG_SEND), `message` encoded
/// after a control part that the calling thread keeps from its last such send: a process that
/// sends a stream to one name (casts) encodes its control tuple once, not once a message.
/// `from` is asked for (`from()`, an erlang_pid) only when the cache misses; `sender` names the
/// sender (the process's actor id, 0 for a plain thread) and `owner` the distribution.
template <class From>
std::vector<std::uint8_t> encode_reg_send(std::uint64_t owner, std::uint64_t sender,
                                          std::string_view to, const term& message, From&& from);

namespace detail {

/// A thread's last REG_SEND control part (encode_reg_send).
struct reg_send_header {
  std::uint64_t owner = 0;  // 0: none yet
  std::uint64_t sender = 0;
  std::string to;
  std::vector<std::uint8_t> bytes;  // 112 and the control term
};
reg_send_header& last_reg_send_header() noexcept;
/// 112 and the control term of REG_SEND from `from` to `to`.
std::vector<std::uint8_t> encode_reg_send_header(const erlang_pid& from, std::string_view to);
/// Appends `message` (131 and the term) to `out`.
void append_message(std::vector<std::uint8_t>& out, const term& message);

}  // namespace detail

template <class From>
std::vector<std::uint8_t> encode_reg_send(std::uint64_t owner, std::uint64_t sender,
                                          std::string_view to, const term& message, From&& from) {
  auto& last = detail::last_reg_send_header();
  if (last.owner != owner || last.sender != sender || last.to != to) {
    last.bytes = detail::encode_reg_send_header(from(), to);
    last.owner = owner;
    last.sender = sender;
    last.to = to;
  }
  std::vector<std::uint8_t> out;
  out.reserve(last.bytes.size() + 64);
  out.insert(out.end(), last.bytes.begin(), last.bytes.end());
  detail::append_message(out, message);
  return out;
}

}  // namespace otp::dist::erlang
