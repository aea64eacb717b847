#pragma once

#include <caf/resumable.hpp>

#include <atomic>
#include <cstddef>
#include <mutex>
#include <vector>

namespace otp::detail {

/// A scheduler worker's queue of runnable jobs: the owner works at the front, thieves and
/// other threads at the back. A growable ring under a mutex: every operation is O(1), which
/// CAF 0.17's own queue is not for thieves (it walks its list to take the last element, and a
/// burst of 100k jobs made every steal walk 100k nodes).
class job_queue {
 public:
  job_queue() : ring_(initial_capacity) {}

  /// Returns the queue's length afterwards.
  std::size_t push_front(caf::resumable* job) {
    std::lock_guard guard{mtx_};
    grow_if_full();
    head_ = (head_ - 1) & mask();
    ring_[head_] = job;
    return bump(+1);
  }

  std::size_t push_back(caf::resumable* job) {
    std::lock_guard guard{mtx_};
    grow_if_full();
    ring_[(head_ + count_) & mask()] = job;
    return bump(+1);
  }

  caf::resumable* pop_front() {
    if (empty())
      return nullptr;
    std::lock_guard guard{mtx_};
    if (count_ == 0)
      return nullptr;
    auto* job = ring_[head_];
    head_ = (head_ + 1) & mask();
    bump(-1);
    return job;
  }

  caf::resumable* pop_back() {
    if (empty())
      return nullptr;
    std::lock_guard guard{mtx_};
    if (count_ == 0)
      return nullptr;
    bump(-1);
    return ring_[(head_ + count_) & mask()];
  }

  /// A hint without the lock: the length as last published by an operation.
  std::size_t size() const noexcept { return published_.load(); }
  bool empty() const noexcept { return size() == 0; }

 private:
  static constexpr std::size_t initial_capacity = 64;  // a power of two, as every later size

  std::size_t mask() const noexcept { return ring_.size() - 1; }

  std::size_t bump(int delta) noexcept {
    count_ = static_cast<std::size_t>(static_cast<std::ptrdiff_t>(count_) + delta);
    published_.store(count_);
    return count_;
  }

  void grow_if_full() {
    if (count_ < ring_.size())
      return;
    std::vector<caf::resumable*> bigger(ring_.size() * 2);
    for (std::size_t i = 0; i < count_; ++i)
      bigger[i] = ring_[(head_ + i) & mask()];
    ring_.swap(bigger);
    head_ = 0;
  }

  std::mutex mtx_;
  std::vector<caf::resumable*> ring_;
  std::size_t head_ = 0;
  std::size_t count_ = 0;
  std::atomic<std::size_t> published_{0};
};

}  // namespace otp::detail
