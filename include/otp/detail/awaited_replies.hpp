#pragma once

#include <caf/message.hpp>
#include <caf/message_id.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace otp::detail {

/// The replies a process waits for after its `gen_server::async_call`s, by request id: what
/// CAF's response handlers do, without a behaviour, a hash-table node and two copies of the
/// callback per call. CAF numbers each process's requests upwards, so the table is a vector in
/// id order searched by bisection. Answered entries become holes, trimmed from the front, and
/// the whole table is compacted once holes are the majority: a call that is never answered
/// does not make the table grow with every later one.
class awaited_replies {
 public:
  using handler = std::function<void(caf::message&)>;

  /// `request` is the id the request went out with.
  void add(caf::message_id request, handler on_reply);

  /// Removes and returns the handler waiting for `response`; an empty one if none waits (a
  /// timeout firing after its reply, a reply to CAF's own requests).
  handler take(caf::message_id response);

  /// Whether a handler waits for `response`.
  bool contains(caf::message_id response) const;

  std::size_t size() const noexcept { return live_; }
  bool empty() const noexcept { return live_ == 0; }
  /// Entries kept, answered holes included: stays within a small multiple of `size()`.
  std::size_t slots() const noexcept { return entries_.size() - head_; }

 private:
  struct entry {
    std::uint64_t id;
    handler on_reply;  // empty once taken
  };

  static std::uint64_t key(caf::message_id id) noexcept {
    return id.integer_value() & caf::message_id::request_id_mask;
  }

  std::vector<entry>::const_iterator find(std::uint64_t id) const;
  void trim();

  std::vector<entry> entries_;
  std::size_t head_ = 0;  // entries before it have all been taken
  std::size_t live_ = 0;
};

}  // namespace otp::detail
