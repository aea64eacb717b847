#pragma once

// How a byte stream is cut into packets: Erlang's `{packet, raw | 1 | 2 | 4 | line}` with
// `{packet_size, Max}`. The decoder is plain code without sockets, so it can be tested and
// fuzzed on its own.

#include "otp/expected.hpp"
#include "otp/net/net_error.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace otp::net {

enum class packet {
  raw,  // whatever each read returned, no framing (`{packet, 0}`)
  u8,   // a 1-byte big-endian length, then the payload (`{packet, 1}`)
  u16,  // 2-byte length (`{packet, 2}`)
  u32,  // 4-byte length (`{packet, 4}`)
  line  // up to and including '\n' (`{packet, line}`)
};

/// The longest line `packet::line` takes when `max_size` is 0 (1 MiB): a line has no header to
/// bound it, and a peer that never sends a newline must not grow the buffer without end.
inline constexpr std::size_t unbounded_line_limit = 1024 * 1024;

/// The `max_size` of a framing that sets none: 64 KiB, or less where the length header cannot
/// carry that much (255 B for u8, 65,535 B for u16).
inline constexpr std::size_t default_max_size = 64 * 1024;

struct framing {
  enum packet packet = packet::raw;
  /// The largest payload (or line, newline included) accepted; a larger one is an error
  /// (`frame_too_large`) that closes the connection. Unset: `default_max_size`, within the
  /// header's limit. 0 means the framing's own limit: the header's for u8 / u16 / u32 (255 B,
  /// 65,535 B, 4 GiB), `unbounded_line_limit` for lines. A limit the header cannot reach
  /// (`max_size = 100000` with u8) is refused by `validate`. For `raw` it caps a single read.
  std::optional<std::size_t> max_size = {};
};

/// The length-prefix size of a packet type: 1, 2 or 4, and 0 for raw and line.
std::size_t header_size(packet p) noexcept;

/// Checks a framing before it is used (`start_listener` and `listen` call it): `bad_option`
/// when `max_size` exceeds what the length header can carry.
expected<void, net_error> validate(const framing& f);

/// Cuts received bytes into frames. Bytes of an incomplete frame are kept across `feed`s.
class frame_decoder {
 public:
  explicit frame_decoder(framing f = {}) : framing_(f) {}

  /// Appends received bytes.
  void feed(std::string_view bytes) { buffer_.append(bytes); }

  /// The next complete frame's payload (header stripped), nothing if more bytes are needed,
  /// or `frame_too_large`. After an error the decoder stays failed.
  expected<std::optional<std::string>, net_error> next();

  /// In `raw` framing: exactly `n` bytes once that many are buffered (a passive `recv(n)`).
  std::optional<std::string> take_exact(std::size_t n);

  /// Bytes received but not yet returned as frames.
  std::size_t buffered() const noexcept { return buffer_.size() - consumed_; }
  const framing& config() const noexcept { return framing_; }

 private:
  void compact();

  framing framing_;
  std::string buffer_;
  std::size_t consumed_ = 0;
  bool failed_ = false;
};

/// The header to send before `payload_size` bytes, or `frame_too_large` if the size does not
/// fit the header or exceeds `max_size`. Empty for raw and line.
expected<std::string, net_error> encode_header(const framing& f, std::size_t payload_size);

}  // namespace otp::net
