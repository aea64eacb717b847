#pragma once

// Erlang's distribution handshake, version 6 (OTP 23's HANDSHAKE_23), as plain code without
// I/O so that it can be unit-tested and fuzzed: the driver reads exactly `want()` bytes at a
// time (never a byte of the data mode that follows on the same socket), passes them to
// `feed()` and writes what `feed()` returns. The protocol (ERTS User's Guide, "Distribution
// Protocol"); every frame is a 2-byte big-endian length, then that many bytes, the first a tag:
//
//   initiator -> acceptor  'N' flags u64 | creation u32 | name_len u16 | name       (send_name)
//   acceptor -> initiator  's' status text: "ok", "ok_simultaneous", "nok", "not_allowed", ...
//   acceptor -> initiator  'N' flags u64 | challenge u32 | creation u32 | name_len u16 | name
//   initiator -> acceptor  'r' challenge u32 | digest[16]                      (challenge_reply)
//   acceptor -> initiator  'a' digest[16]                                        (challenge_ack)
//
// A digest is MD5(cookie ++ the decimal text of the other side's challenge), as dist_util's
// gen_digest: each side proves it knows the cookie without sending it. Challenges are random
// (RAND_bytes). The acceptor checks the reply's digest and, when it is wrong, closes without a
// word (as Erlang does): the initiator then sees the connection end while waiting for the ack,
// which it reports as `not_allowed`. An initiator told "nok" (the acceptor is connected to us
// already, or dialling us and winning) fails with `duplicate_name`, told "not_allowed" with
// `refused`. A peer without OTP 25's mandatory flags is
// `version_mismatch` (an old 'n' send_name too); a frame of length 0, an unknown tag, a short
// or long field is `malformed`; a frame above `max_frame` is `oversized`, decided from its
// header. The initiator checks that the acceptor is the node it dialled (wrong_node).

#include "dist/erlang/flags.hpp"

#include "otp/dist/dist_error.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace otp::dist::erlang {

inline constexpr std::size_t max_handshake_frame = 1024;
inline constexpr std::size_t digest_size = 16;
using digest = std::array<std::uint8_t, digest_size>;

/// MD5(cookie ++ integer_to_list(challenge)): what dist_util:gen_digest/2 computes.
digest gen_digest(std::uint32_t challenge, std::string_view cookie);

/// What each side says of itself.
struct node_info {
  std::string name;  // "cpp@host"
  std::uint64_t flags = advertised_flags;
  std::uint32_t creation = 0;

  friend bool operator==(const node_info&, const node_info&) = default;
};

class handshake {
 public:
  enum class role { initiator, acceptor };
  enum class state { running, done, failed };
  /// Acceptor only: whether this peer may connect now. Returns the refusal, whose kind picks
  /// the status sent: duplicate_name -> "nok" (connected already), anything else
  /// "not_allowed".
  using admit_fn = std::function<std::optional<dist_error>(const node_info& peer)>;
  /// A 32-bit random challenge; tests pass a fixed one.
  using challenge_fn = std::function<std::uint32_t()>;

  /// `expected_peer` (initiator): the node dialled. An empty cookie, a zero creation or an
  /// invalid name fails the machine (bad_option / bad_name) before `start()`.
  handshake(role r, node_info self, std::string cookie, admit_fn admit = {},
            std::optional<std::string> expected_peer = std::nullopt, challenge_fn challenge = {});

  /// Call once, first: the bytes to send (the initiator's send_name; nothing for the acceptor).
  std::vector<std::uint8_t> start();
  /// Exactly how many bytes the machine needs next; 0 before `start()` and once finished.
  std::size_t want() const noexcept;
  /// Feeds at most `want()` received bytes (more: std::logic_error). Returns the bytes to send
  /// now, possibly empty. Never throws on hostile input.
  std::vector<std::uint8_t> feed(std::span<const std::uint8_t> bytes);
  /// The connection ended before the handshake did: fails with the error that fits the step
  /// (not_allowed while the initiator waits for the ack, refused otherwise).
  void closed();

  state current() const noexcept;
  /// The peer, valid once done (its flags as it sent them).
  const node_info& peer() const noexcept { return peer_; }
  const dist_error& error() const noexcept { return error_; }

 private:
  enum class step { idle, status, challenge, ack, name, reply, done, failed };
  using bytes = std::vector<std::uint8_t>;

  bytes on_frame(std::span<const std::uint8_t> payload);
  bytes on_status(std::span<const std::uint8_t> payload);
  bytes on_challenge(std::span<const std::uint8_t> payload);
  bytes on_ack(std::span<const std::uint8_t> payload);
  bytes on_name(std::span<const std::uint8_t> payload);
  bytes on_reply(std::span<const std::uint8_t> payload);
  std::optional<dist_error> check_peer() const;
  bytes fail(dist_error e, bytes to_send = {});
  void expect(step next);

  role role_;
  node_info self_;
  std::string cookie_;
  admit_fn admit_;
  std::optional<std::string> expected_peer_;
  challenge_fn challenge_fn_;
  node_info peer_;
  dist_error error_;
  step step_ = step::idle;
  std::uint32_t my_challenge_ = 0;
  bool in_body_ = false;
  std::size_t need_ = 0;
  bytes buffer_;
};

}  // namespace otp::dist::erlang
