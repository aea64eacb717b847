#pragma once

#include "otp/dist/carrier.hpp"
#include "otp/dist/message_types.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace otp::dist {

/// Where nodes of this user keep their lock files and Unix sockets: `/tmp/caf-otp-<uid>`.
std::string default_directory();

/// How a node takes part in distribution (Erlang's `-sname`, `-setcookie`, `-proto_dist`,
/// `net_ticktime`).
struct options {
  /// `"alpha"` or `"alpha@host"`; the host defaults to `localhost`.
  std::string name;
  /// The shared secret. Never sent: nodes prove they know it (HMAC-SHA-256 challenges).
  std::string cookie;
  std::vector<carrier> carriers = {carrier::uds()};
  /// 0700, owned by this user: holds `<name>.lock` (the creation number, locked while the
  /// node runs) and `<name>.sock` (0600, the uds carrier's socket).
  std::string directory = default_directory();
  /// A peer that sends nothing for this long is disconnected (`nodedown`). Heartbeats go out
  /// every tick_time / 4. Peers must agree on it: the handshake refuses a mismatch.
  std::chrono::milliseconds tick_time{60'000};
  /// Connect plus handshake: a peer that takes longer is refused with `timeout`.
  std::chrono::milliseconds handshake_timeout{5'000};
  /// Request types and replies other nodes may send to this one (see `message_types`).
  message_types types;
};

}  // namespace otp::dist
