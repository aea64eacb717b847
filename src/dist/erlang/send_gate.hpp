#pragma once

// Back-pressure for the distribution's senders, as Erlang suspends a process whose
// distribution channel is busy (dist_buf_busy_limit): while more than `limit` bytes of
// messages wait to be written (all connections together), a sender waits — a process parks,
// a plain thread blocks — and the connection that writes the queue below the limit wakes it.
// No polling: a waiting sender costs nothing until there is room.

#include "otp/detail/waiting_process.hpp"

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <vector>

namespace otp::dist::erlang {

class send_gate {
 public:
  explicit send_gate(std::size_t limit) : limit_(limit) {}

  /// A sender: waits while the queue is over the limit (or until `stop`), then counts `n`
  /// bytes in. A process killed while it waits leaves by `process_exit`.
  void enter(std::size_t n);
  /// A connection, on the I/O thread: `n` counted bytes were written or dropped. Wakes the
  /// waiting senders once the queue is at or below the limit.
  void left(std::size_t n);
  /// Shutting down: every waiting sender goes on (its message will be dropped).
  void stop();

  std::size_t queued() const noexcept { return queued_.load(); }
  std::size_t limit() const noexcept { return limit_; }

 private:
  bool has_room() const noexcept { return queued_.load() <= limit_ || stopped_.load(); }
  void wait_as_process(otp::detail::waiting_process& w);
  void wait_as_thread();
  void wake_all();

  const std::size_t limit_;
  std::atomic<std::size_t> queued_{0};
  std::atomic<bool> stopped_{false};
  // Senders count themselves in before they look at the queue, and `left` looks at this count
  // after it lowered the queue: one of the two sees the other, so no wake is lost.
  std::atomic<std::size_t> waiting_{0};
  std::mutex mtx_;
  std::condition_variable cv_;                            // plain threads
  std::vector<otp::detail::waiting_process*> processes_;  // parked processes
};

}  // namespace otp::dist::erlang
