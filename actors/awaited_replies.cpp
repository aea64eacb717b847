#include "otp/detail/awaited_replies.hpp"

#include <algorithm>
#include <cstddef>

namespace otp::detail {

void awaited_replies::add(caf::message_id request, handler on_reply) {
  auto id = key(request);
  // Ids only grow; a smaller one would break the bisection, so it is placed where it belongs.
  auto at = entries_.end();
  if (!entries_.empty() && entries_.back().id >= id)
    at = std::lower_bound(entries_.begin() + static_cast<std::ptrdiff_t>(head_), entries_.end(), id,
                          [](const entry& e, std::uint64_t x) { return e.id < x; });
  entries_.insert(at, entry{id, std::move(on_reply)});
  ++live_;
}

std::vector<awaited_replies::entry>::const_iterator awaited_replies::find(std::uint64_t id) const {
  auto first = entries_.begin() + static_cast<std::ptrdiff_t>(head_);
  auto it = std::lower_bound(first, entries_.end(), id,
                             [](const entry& e, std::uint64_t x) { return e.id < x; });
  if (it == entries_.end() || it->id != id || !it->on_reply)
    return entries_.end();
  return it;
}

bool awaited_replies::contains(caf::message_id response) const {
  return find(key(response)) != entries_.end();
}

awaited_replies::handler awaited_replies::take(caf::message_id response) {
  auto found = find(key(response));
  if (found == entries_.end())
    return {};
  auto& e = entries_[static_cast<std::size_t>(found - entries_.begin())];
  auto result = std::move(e.on_reply);
  e.on_reply = nullptr;
  --live_;
  trim();
  return result;
}

void awaited_replies::trim() {
  while (head_ < entries_.size() && !entries_[head_].on_reply)
    ++head_;
  if (live_ == 0) {
    entries_.clear();
    head_ = 0;
    return;
  }
  auto held = entries_.size() - head_;
  if (head_ >= 32 && head_ >= held) {
    entries_.erase(entries_.begin(), entries_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  } else if (held >= 64 && live_ * 2 < held) {
    std::erase_if(entries_, [](const entry& e) { return !e.on_reply; });
    head_ = 0;
  }
}

}  // namespace otp::detail
