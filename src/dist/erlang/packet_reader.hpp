#pragma once

// Data mode's framing: each packet is a 4-byte big-endian length and that many bytes; a
// packet of length 0 is a tick. Plain code over bytes: the connection feeds what the socket
// gave it and takes whole packets out.

#include "otp/dist/dist_error.hpp"
#include "otp/expected.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace otp::dist::erlang {

class packet_reader {
 public:
  explicit packet_reader(std::size_t max_packet) : max_packet_(max_packet) {}

  /// Appends received bytes. A packet announced longer than the limit is `oversized` (decided
  /// from its length alone, before its bytes arrive); the reader is then useless.
  expected<void, dist_error> feed(std::span<const std::uint8_t> bytes);

  /// The next whole packet (empty: a tick), if one is in; false when more bytes are needed.
  bool next(std::vector<std::uint8_t>& packet);

 private:
  std::size_t max_packet_;
  std::vector<std::uint8_t> buffer_;
  std::size_t start_ = 0;  // where the next packet's length begins in buffer_
};

}  // namespace otp::dist::erlang
