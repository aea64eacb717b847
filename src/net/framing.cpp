#include "otp/net/framing.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <limits>

namespace otp::net {

std::size_t header_size(packet p) noexcept {
  switch (p) {
    case packet::u8:
      return 1;
    case packet::u16:
      return 2;
    case packet::u32:
      return 4;
    case packet::raw:
    case packet::line:
      return 0;
  }
  return 0;
}

namespace {

net_error too_large(std::size_t size, std::size_t max) {
  return net_error{net_error::kind::frame_too_large,
                   fmt::format("{} bytes, the limit is {}", size, max)};
}

std::size_t header_limit(packet p) noexcept {
  switch (header_size(p)) {
    case 1:
      return 0xff;
    case 2:
      return 0xffff;
    case 4:
      return 0xffffffff;
    default:
      return std::numeric_limits<std::size_t>::max();
  }
}

/// `max_size` 0: the framing's own limit. A line has no header to bound it, so a client that
/// never sends a newline would grow the buffer without end; Erlang's line mode is bounded by
/// its receive buffer. Lines get `unbounded_line_limit`.
std::size_t effective_max(const framing& f) noexcept {
  if (!f.max_size)
    return std::min(default_max_size, header_limit(f.packet));
  if (*f.max_size != 0)
    return *f.max_size;
  return f.packet == packet::line ? unbounded_line_limit : std::numeric_limits<std::size_t>::max();
}

std::string_view packet_name(packet p) noexcept {
  switch (p) {
    case packet::u8:
      return "u8";
    case packet::u16:
      return "u16";
    case packet::u32:
      return "u32";
    case packet::raw:
      return "raw";
    case packet::line:
      return "line";
  }
  return "unknown";
}

}  // namespace

expected<void, net_error> validate(const framing& f) {
  // A limit above the header's would be a promise the wire format cannot keep: a u8 peer can
  // never send 100,000 bytes in one frame, and our own sends of that size would fail.
  if (f.max_size && *f.max_size > header_limit(f.packet))
    return unexpected{
      net_error{net_error::kind::bad_option,
                fmt::format("framing max_size {} exceeds what a {} length header can carry ({})",
                            *f.max_size, packet_name(f.packet), header_limit(f.packet))}};
  return {};
}

void frame_decoder::compact() {
  // Drop consumed bytes once they are the larger part: amortised O(1) per byte. An emptied
  // buffer is released, so that an idle connection holds none at all.
  if (consumed_ == buffer_.size()) {
    std::string{}.swap(buffer_);
    consumed_ = 0;
  } else if (consumed_ > buffer_.size() / 2) {
    buffer_.erase(0, consumed_);
    consumed_ = 0;
  }
}

expected<std::optional<std::string>, net_error> frame_decoder::next() {
  if (failed_)
    return unexpected{net_error{net_error::kind::frame_too_large, "decoder failed earlier"}};
  auto available = buffer_.size() - consumed_;
  const char* start = buffer_.data() + consumed_;
  auto max = effective_max(framing_);
  std::optional<std::string> frame;
  switch (framing_.packet) {
    case packet::raw: {
      if (available == 0)
        return std::optional<std::string>{};
      auto n = std::min(available, max);
      if (consumed_ == 0 && n == buffer_.size()) {
        frame.emplace(std::move(buffer_));  // the usual case: one read, one packet, no copy
        buffer_.clear();
        return frame;
      }
      frame.emplace(start, n);
      consumed_ += n;
      break;
    }
    case packet::line: {
      auto view = std::string_view{start, available};
      auto nl = view.find('\n');
      if (nl == std::string_view::npos) {
        if (available > max) {
          failed_ = true;
          return unexpected{too_large(available, max)};
        }
        return std::optional<std::string>{};
      }
      if (nl + 1 > max) {
        failed_ = true;
        return unexpected{too_large(nl + 1, max)};
      }
      frame.emplace(start, nl + 1);
      consumed_ += nl + 1;
      break;
    }
    case packet::u8:
    case packet::u16:
    case packet::u32: {
      auto hs = header_size(framing_.packet);
      if (available < hs)
        return std::optional<std::string>{};
      std::size_t length = 0;
      for (std::size_t i = 0; i < hs; ++i)
        length = (length << 8) | static_cast<unsigned char>(start[i]);
      if (length > max) {
        failed_ = true;
        return unexpected{too_large(length, max)};
      }
      if (available - hs < length)
        return std::optional<std::string>{};
      frame.emplace(start + hs, length);
      consumed_ += hs + length;
      break;
    }
  }
  compact();
  return frame;
}

std::optional<std::string> frame_decoder::take_exact(std::size_t n) {
  if (buffer_.size() - consumed_ < n)
    return std::nullopt;
  std::string frame(buffer_.data() + consumed_, n);
  consumed_ += n;
  compact();
  return frame;
}

expected<std::string, net_error> encode_header(const framing& f, std::size_t payload_size) {
  auto max = effective_max(f);
  auto hs = header_size(f.packet);
  if (hs == 0)
    return std::string{};
  if (payload_size > header_limit(f.packet) || payload_size > max)
    return unexpected{too_large(payload_size, std::min(max, header_limit(f.packet)))};
  std::string header(hs, '\0');
  for (std::size_t i = 0; i < hs; ++i)
    header[hs - 1 - i] = static_cast<char>((payload_size >> (8 * i)) & 0xff);
  return header;
}

}  // namespace otp::net
