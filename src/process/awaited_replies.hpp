#pragma once

#include "otp/detail/message_ref.hpp"

#include <caf/actor_clock.hpp>
#include <caf/message_id.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace otp::detail {

/// The replies a process waits for after its `gen_server::async_call`s, by request id, with
/// their deadlines: what CAF's response handlers and request timeouts do, without a behaviour,
/// a hash-table node, two copies of the callback and a timer in CAF's clock per call.
///
/// CAF numbers each process's requests upwards, so the table is a vector in id order searched
/// by bisection. Answered entries become holes, trimmed from the front, and the whole table is
/// compacted once holes are the majority: a call that is never answered does not make the
/// table grow with every later one. Deadlines sit in a min-heap next to it; the process keeps
/// one timer, for the earliest.
class awaited_replies {
 public:
  /// Runs with the reply, or the error message that stands for it (detail::reply_handler).
  using handler = std::function<void(message_ref&)>;
  using time_point = caf::actor_clock::time_point;

  static constexpr time_point never = time_point::max();

  /// `request` is the id the request went out with.
  void add(caf::message_id request, handler on_reply, time_point deadline = never);

  /// Removes and returns the handler waiting for `response`; an empty one if none waits (a
  /// reply after its deadline, a reply to CAF's own requests).
  handler take(caf::message_id response);

  /// Whether a handler waits for `response`.
  bool contains(caf::message_id response) const;

  /// The earliest deadline of a handler still waiting; `never` if none has one.
  time_point next_deadline();

  /// Removes the handlers whose deadline is `now` or earlier, earliest first.
  std::vector<handler> take_expired(time_point now);

  std::size_t size() const noexcept { return live_; }
  bool empty() const noexcept { return live_ == 0; }
  /// Entries kept, answered holes included: stays within a small multiple of `size()`.
  std::size_t slots() const noexcept { return entries_.size() - head_; }
  /// Deadlines kept, answered ones included: likewise.
  std::size_t deadline_slots() const noexcept { return deadlines_.size(); }

 private:
  struct entry {
    std::uint64_t id;
    handler on_reply;  // empty once taken
    time_point deadline;
  };
  using deadline_ref = std::pair<time_point, std::uint64_t>;

  static std::uint64_t key(caf::message_id id) noexcept {
    return id.integer_value() & caf::message_id::request_id_mask;
  }

  entry* find(std::uint64_t id);
  const entry* find(std::uint64_t id) const;
  handler remove(entry& e);
  void trim();
  void drop_answered_deadlines();

  std::vector<entry> entries_;
  std::size_t head_ = 0;  // entries before it have all been taken
  std::size_t live_ = 0;
  std::size_t live_deadlines_ = 0;
  std::vector<deadline_ref> deadlines_;  // a min-heap
};

}  // namespace otp::detail
