#pragma once

// The distribution handshake that runs in "command mode" on a fresh connection, before the
// socket is handed to BASP. Plain code without I/O, so that it can be unit-tested and fuzzed:
// the driver reads exactly `want()` bytes at a time (never a byte of the data mode that follows
// on the same socket), passes them to `feed()` and writes whatever `feed()` returns.
//
// Wire protocol, version 1. Every frame is a 2-byte big-endian payload length L, then L bytes of
// payload; payload[0] is a tag. L == 0 is `malformed` and L > max_handshake_frame is `oversized`,
// both decided from the header alone. Integers are big-endian. A hello is
//     version u16 | creation u32 | tick_ms u32 | name_len u8 | name[name_len]
// (version first, so that a peer of another version is told `version_mismatch`, not `malformed`).
//
//   1. client -> server  'N' hello(client)
//   2. server -> client  's' reason      "ok", or the refusal's kind name ("duplicate_name", ...),
//                                        after which the server fails
//      server -> client  'N' hello(server) | server_challenge[32]          (only after "ok")
//   3. client -> server  'r' client_challenge[32] | HMAC(cookie, "caf-otp dist v1 client\0" |
//                        server_challenge | client_challenge | hello(client) | hello(server))
//   4. server -> client  'a' HMAC(cookie, "caf-otp dist v1 server\0" |
//                        client_challenge | server_challenge | hello(client) | hello(server))
//      server is done; on a bad digest it sends 's' "not_allowed" instead and fails.
//   5. client verifies the ack and is done.
//
// HMAC is HMAC-SHA-256; the cookie is only ever a key, never sent. Challenges come from
// RAND_bytes. Both digests cover both hellos (names, creations, tick, version), and the two
// labels differ, so neither side's digest can be replayed as the other's; a client challenge
// equal to the server's is refused. Digests are compared with CRYPTO_memcmp.
//
// Checks: a hello's name must be a valid node name (bad_name), its creation nonzero and its
// fields exact (malformed), version and tick equal to ours (version_mismatch, tick_mismatch),
// and the peer's name differ from ours (duplicate_name on the server, wrong_node on the
// client). The server then asks `admit`; the client checks `expected_peer` (wrong_node). Any
// unknown or unexpected tag, short or long field, or trailing byte is `malformed`. Only the
// server sends status frames (for any failure up to the digest check); the client just fails
// and the driver closes. A client told anything but "ok" fails with kind `refused` and the
// peer's reason (printable ASCII, else `malformed`) as detail: a local `duplicate_name` and
// one reported by the peer stay distinguishable.

#include "otp/dist/dist_error.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace otp::dist::detail {

inline constexpr std::uint16_t handshake_version = 1;
inline constexpr std::size_t max_handshake_frame = 1024;  // payload bytes
inline constexpr std::size_t max_node_name = 255;
inline constexpr std::size_t challenge_size = 32;
inline constexpr std::size_t digest_size = 32;  // HMAC-SHA-256

/// What each side says about itself.
struct node_hello {
  std::string name;            // full node name, "alpha@host"
  std::uint32_t creation = 0;  // incarnation number, nonzero
  std::uint32_t tick_ms = 0;   // the node's tick time (both must be equal)
  std::uint16_t version = handshake_version;

  friend bool operator==(const node_hello&, const node_hello&) = default;
};

/// A node name as the handshake accepts it: 1..max_node_name printable ASCII characters without
/// spaces, with a non-empty part before and after the first '@'.
bool valid_node_name(std::string_view name) noexcept;

class handshake {
 public:
  enum class role { client, server };
  enum class state { running, done, failed };
  /// Server side only: decides whether a peer may connect (e.g. duplicate node name); returns
  /// an error (kind duplicate_name / not_allowed / ...) to refuse. Only its kind's name is sent
  /// to the peer; its detail stays in `error()`. Exceptions it throws propagate out of feed().
  using admit_fn = std::function<std::optional<dist_error>(const node_hello& peer)>;

  /// `expected_peer` (client): the name we dialled. An invalid `self.name` fails the machine
  /// with bad_name, an empty cookie or a zero creation with bad_option, before `start()`.
  handshake(role r, node_hello self, std::string cookie, admit_fn admit = {},
            std::optional<std::string> expected_peer = std::nullopt);

  /// Call once, first: the bytes to send (the client's hello; empty for the server).
  std::vector<std::uint8_t> start();

  /// Exactly how many bytes the machine needs next: what is left of a frame header (2) or of a
  /// frame body; 0 before `start()`, and when done or failed.
  std::size_t want() const noexcept;

  /// Feeds received bytes, at most `want()` (more is a driver bug: std::logic_error, nothing
  /// consumed). Returns the bytes to send now, possibly empty; on a refusal a status frame
  /// telling the peer why, with `current()` already failed. Never throws on hostile input.
  std::vector<std::uint8_t> feed(std::span<const std::uint8_t> bytes);

  state current() const noexcept;
  /// The peer's hello, valid once done.
  const node_hello& peer() const noexcept { return peer_; }
  /// Why the handshake failed, valid once failed.
  const dist_error& error() const noexcept { return error_; }

 private:
  enum class step {
    idle,           // before start()
    client_status,  // client: waiting for the server's 's'
    client_hello,   // client: got "ok", waiting for the server's 'N' with its challenge
    client_ack,     // client: sent 'r', waiting for 'a' (or an 's' refusal)
    server_hello,   // server: waiting for the client's 'N'
    server_reply,   // server: sent its challenge, waiting for 'r'
    done,
    failed
  };
  using bytes = std::vector<std::uint8_t>;
  using challenge = std::array<std::uint8_t, challenge_size>;

  bytes on_frame(std::span<const std::uint8_t> payload);
  bytes on_client_hello(std::span<const std::uint8_t> payload);
  bytes on_client_reply(std::span<const std::uint8_t> payload);
  bytes on_status(std::span<const std::uint8_t> payload);
  bytes on_server_hello(std::span<const std::uint8_t> payload);
  bytes on_ack(std::span<const std::uint8_t> payload);
  std::optional<dist_error> check_peer(std::span<const std::uint8_t> hello, std::size_t extra);
  std::optional<std::array<std::uint8_t, digest_size>> mac(bool client_digest);
  /// Fails with `e`; the server also answers with a status frame naming the kind.
  bytes fail(dist_error e);
  void expect(step next);

  role role_;
  node_hello self_;
  std::string cookie_;
  admit_fn admit_;
  std::optional<std::string> expected_peer_;
  node_hello peer_;
  dist_error error_;
  step step_ = step::idle;
  challenge server_challenge_{};
  challenge client_challenge_{};
  bool in_body_ = false;  // reading a frame body (else a header)
  std::size_t need_ = 0;  // bytes of the current header or body
  bytes buffer_;          // what has arrived of it
};

}  // namespace otp::dist::detail
