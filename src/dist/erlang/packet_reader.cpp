#include "dist/erlang/packet_reader.hpp"

#include <fmt/format.h>

namespace otp::dist::erlang {

namespace {

constexpr std::size_t header_size = 4;

std::size_t length_at(const std::uint8_t* p) {
  return (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) | (std::size_t{p[2]} << 8) | p[3];
}

}  // namespace

expected<void, dist_error> packet_reader::feed(std::span<const std::uint8_t> bytes) {
  // Drop what was consumed before growing, so the buffer holds at most one partial packet
  // plus what the last read brought.
  if (start_ > 0) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(start_));
    start_ = 0;
  }
  buffer_.insert(buffer_.end(), bytes.begin(), bytes.end());
  for (std::size_t at = 0; at + header_size <= buffer_.size();) {
    auto length = length_at(buffer_.data() + at);
    if (length > max_packet_)
      return unexpected{
        dist_error{dist_error::kind::oversized,
                   fmt::format("a packet of {} bytes (limit {})", length, max_packet_)}};
    at += header_size + length;
  }
  return {};
}

bool packet_reader::next(std::vector<std::uint8_t>& packet) {
  if (buffer_.size() - start_ < header_size)
    return false;
  auto length = length_at(buffer_.data() + start_);
  if (buffer_.size() - start_ - header_size < length)
    return false;
  auto begin = buffer_.begin() + static_cast<std::ptrdiff_t>(start_ + header_size);
  packet.assign(begin, begin + static_cast<std::ptrdiff_t>(length));
  start_ += header_size + length;
  return true;
}

}  // namespace otp::dist::erlang
