#include "process/awaited_replies.hpp"

#include <algorithm>
#include <cstddef>

namespace otp::detail {

namespace {

// std::*_heap build max-heaps; this order puts the earliest deadline on top.
constexpr auto later = [](const auto& a, const auto& b) { return a.first > b.first; };

}  // namespace

void awaited_replies::add(caf::message_id request, handler on_reply, time_point deadline) {
  auto id = key(request);
  // Ids only grow; a smaller one would break the bisection, so it is placed where it belongs.
  auto at = entries_.end();
  if (!entries_.empty() && entries_.back().id >= id)
    at = std::lower_bound(entries_.begin() + static_cast<std::ptrdiff_t>(head_), entries_.end(), id,
                          [](const entry& e, std::uint64_t x) { return e.id < x; });
  entries_.insert(at, entry{id, std::move(on_reply), deadline});
  ++live_;
  if (deadline != never) {
    deadlines_.emplace_back(deadline, id);
    std::push_heap(deadlines_.begin(), deadlines_.end(), later);
    ++live_deadlines_;
  }
}

const awaited_replies::entry* awaited_replies::find(std::uint64_t id) const {
  auto first = entries_.begin() + static_cast<std::ptrdiff_t>(head_);
  auto it = std::lower_bound(first, entries_.end(), id,
                             [](const entry& e, std::uint64_t x) { return e.id < x; });
  if (it == entries_.end() || it->id != id || !it->on_reply)
    return nullptr;
  return &*it;
}

awaited_replies::entry* awaited_replies::find(std::uint64_t id) {
  return const_cast<entry*>(std::as_const(*this).find(id));
}

bool awaited_replies::contains(caf::message_id response) const {
  return find(key(response)) != nullptr;
}

awaited_replies::handler awaited_replies::take(caf::message_id response) {
  auto* e = find(key(response));
  return e ? remove(*e) : handler{};
}

awaited_replies::handler awaited_replies::remove(entry& e) {
  auto result = std::move(e.on_reply);
  e.on_reply = nullptr;
  --live_;
  if (e.deadline != never)
    --live_deadlines_;
  if (live_ == 0) {  // the usual case: one call at a time
    entries_.clear();
    head_ = 0;
    deadlines_.clear();
    return result;
  }
  trim();
  drop_answered_deadlines();
  return result;
}

awaited_replies::time_point awaited_replies::next_deadline() {
  drop_answered_deadlines();
  return deadlines_.empty() ? never : deadlines_.front().first;
}

std::vector<awaited_replies::handler> awaited_replies::take_expired(time_point now) {
  std::vector<handler> expired;
  while (next_deadline() <= now) {
    // next_deadline() dropped the answered deadlines, so the one on top has a waiting entry;
    // checked rather than assumed, so that a broken invariant cannot dereference null.
    auto* e = find(deadlines_.front().second);
    if (e == nullptr) {
      std::pop_heap(deadlines_.begin(), deadlines_.end(), later);
      deadlines_.pop_back();
      continue;
    }
    expired.push_back(remove(*e));
  }
  return expired;
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

void awaited_replies::drop_answered_deadlines() {
  if (live_deadlines_ == 0) {
    deadlines_.clear();
    return;
  }
  // Replies usually come in the order of their deadlines: the answered ones are on top.
  while (!deadlines_.empty() && find(deadlines_.front().second) == nullptr) {
    std::pop_heap(deadlines_.begin(), deadlines_.end(), later);
    deadlines_.pop_back();
  }
  // Out of order, answered ones can hide below; rebuilt once they are the majority.
  if (deadlines_.size() >= 64 && live_deadlines_ * 2 < deadlines_.size()) {
    std::erase_if(deadlines_, [this](const deadline_ref& d) { return find(d.second) == nullptr; });
    std::make_heap(deadlines_.begin(), deadlines_.end(), later);
  }
}

}  // namespace otp::detail
