#include "dist/erlang/packet_reader.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstring>

namespace otp::dist::erlang {

namespace {

constexpr std::size_t header_size = 4;

std::size_t length_at(const std::uint8_t* p) {
  return (std::size_t{p[0]} << 24) | (std::size_t{p[1]} << 16) | (std::size_t{p[2]} << 8) | p[3];
}

}  // namespace

std::span<std::uint8_t> packet_reader::prepare(std::size_t min) {
  // Drop what was consumed, so the buffer holds at most one partial packet plus the room.
  if (start_ > 0) {
    std::size_t left = end_ - start_;
    if (left > 0)
      std::memmove(buffer_.data(), buffer_.data() + start_, left);
    checked_ -= start_;
    end_ = left;
    start_ = 0;
  }
  std::size_t want = min;
  if (end_ >= header_size) {  // a partial packet: room for the rest of it at least
    auto whole = header_size + length_at(buffer_.data());
    if (whole <= max_packet_ + header_size && whole > end_)
      want = std::max(want, whole - end_);
  }
  if (buffer_.size() < end_ + want)
    buffer_.resize(end_ + want);
  return {buffer_.data() + end_, buffer_.size() - end_};
}

expected<void, dist_error> packet_reader::commit(std::size_t n) {
  end_ += n;
  while (checked_ + header_size <= end_) {
    auto length = length_at(buffer_.data() + checked_);
    if (length > max_packet_)
      return unexpected{
        dist_error{dist_error::kind::oversized,
                   fmt::format("a packet of {} bytes (limit {})", length, max_packet_)}};
    checked_ += header_size + length;
  }
  return {};
}

expected<void, dist_error> packet_reader::feed(std::span<const std::uint8_t> bytes) {
  auto room = prepare(bytes.size());
  if (!bytes.empty())
    std::memcpy(room.data(), bytes.data(), bytes.size());
  return commit(bytes.size());
}

bool packet_reader::next(std::span<const std::uint8_t>& packet) {
  if (end_ - start_ < header_size)
    return false;
  auto length = length_at(buffer_.data() + start_);
  if (end_ - start_ - header_size < length)
    return false;
  packet = {buffer_.data() + start_ + header_size, length};
  start_ += header_size + length;
  return true;
}

bool packet_reader::next(std::vector<std::uint8_t>& packet) {
  std::span<const std::uint8_t> p;
  if (!next(p))
    return false;
  packet.assign(p.begin(), p.end());
  return true;
}

}  // namespace otp::dist::erlang
