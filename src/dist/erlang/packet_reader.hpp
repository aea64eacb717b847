#pragma once

// Data mode's framing: each packet is a 4-byte big-endian length and that many bytes; a
// packet of length 0 is a tick. Plain code over bytes: the connection reads into the reader's
// own buffer (`prepare`, `commit`) and takes whole packets out where they lie (`next`), so a
// packet's bytes are copied once, from the socket, before they are decoded.

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

  /// Room for the next read, at least `min` bytes, after what is buffered; the packets taken
  /// out before are dropped first (their spans end here). A partial packet announced larger
  /// gets room for all of it, so a large packet arrives in few reads.
  std::span<std::uint8_t> prepare(std::size_t min);
  /// `n` bytes were read into the room `prepare` gave. A packet announced longer than the
  /// limit is `oversized` (decided from its length alone, before its bytes arrive); the reader
  /// is then useless.
  expected<void, dist_error> commit(std::size_t n);

  /// Appends received bytes: `prepare` and `commit`, for bytes read elsewhere.
  expected<void, dist_error> feed(std::span<const std::uint8_t> bytes);

  /// The next whole packet (empty: a tick), if one is in; false when more bytes are needed.
  /// The span points into the buffer and stays valid until the next `prepare` or `feed`.
  bool next(std::span<const std::uint8_t>& packet);
  /// The same, copied.
  bool next(std::vector<std::uint8_t>& packet);

 private:
  std::size_t max_packet_;
  std::vector<std::uint8_t> buffer_;  // its size is its room; `end_` bytes of it are data
  std::size_t start_ = 0;             // where the next packet's length begins in buffer_
  std::size_t end_ = 0;               // the end of the bytes received
  std::size_t checked_ = 0;           // where the next length not yet checked begins
};

}  // namespace otp::dist::erlang
