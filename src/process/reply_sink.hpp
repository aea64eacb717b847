#pragma once

#include "otp/detail/waiting_process.hpp"

#include <caf/actor_system.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/message_id.hpp>
#include <caf/monitorable_actor.hpp>
#include <caf/sec.hpp>
#include <caf/system_messages.hpp>

#include <condition_variable>
#include <mutex>
#include <optional>

namespace otp::detail {

/// The reply-to address of a call: a minimal actor that is never scheduled. Whatever thread
/// delivers the response stores it here and wakes the caller — a parked process, or a thread
/// blocked outside any process — so a call costs one hand-off each way instead of a
/// `scoped_actor`'s full mailbox.
/// It is not registered with the actor system, so it never delays the system's shutdown.
class reply_sink final : public caf::monitorable_actor {
 public:
  explicit reply_sink(caf::actor_config& cfg) : caf::monitorable_actor(cfg) {}

  const char* name() const override { return "otp_reply_sink"; }

  void enqueue(caf::mailbox_element_ptr what, caf::execution_unit*) override {
    {
      std::lock_guard guard{mtx_};
      if (!take(*what))
        return;
      // Under the lock: the caller disarms under it before it leaves its wait, so a late
      // reply never wakes a later wait of the same process.
      if (waiter_) {
        waiter_->wake();
        return;
      }
    }
    // A thread: woken once the lock is free, or it would wake only to block on the lock this
    // thread still holds (a second sleep and wake-up per call). Whoever delivers holds a
    // reference to this sink, so it outlives the notification, and a sink serves one call.
    cv_.notify_one();
  }

  /// Prepares a new request id and starts waiting for its response; `waiter` (if any) is
  /// woken by it, else a thread blocked in `wait`.
  caf::message_id arm(std::uint64_t request_number, waiting_process* waiter = nullptr,
                      bool urgent = false) {
    auto mid = caf::make_message_id<caf::message_priority::normal>(
      request_number & caf::message_id::request_id_mask);
    if (urgent)  // taken before the messages queued already; its response is urgent too
      mid = mid.with_high_priority();
    std::lock_guard guard{mtx_};
    expected_ = mid.response_id();
    waiting_ = true;
    waiter_ = waiter;
    reply_.reset();
    return mid;
  }

  /// The response, once it arrived.
  std::optional<caf::message> poll() {
    std::lock_guard guard{mtx_};
    return std::move(reply_);
  }

  /// Waits for the response until `deadline` (real time).
  template <class TimePoint>
  std::optional<caf::message> wait_until(TimePoint deadline) {
    std::unique_lock guard{mtx_};
    cv_.wait_until(guard, deadline, [this] { return reply_.has_value(); });
    waiting_ = false;
    return std::move(reply_);
  }

  std::optional<caf::message> wait() {
    std::unique_lock guard{mtx_};
    cv_.wait(guard, [this] { return reply_.has_value(); });
    waiting_ = false;
    return std::move(reply_);
  }

  static caf::error down_reason(const caf::down_msg& msg) {
    if (msg.reason)
      return msg.reason;
    // It exited normally without replying: an empty error would read as "no error".
    return caf::make_error(caf::sec::request_receiver_down);
  }

  void disarm() {
    std::lock_guard guard{mtx_};
    waiting_ = false;
  }

 private:
  /// Keeps the awaited response (or a monitored server's down) in `reply_`; false if `what`
  /// is not for the call that waits. Under `mtx_`.
  bool take(caf::mailbox_element& what) {
    if (!waiting_)
      return false;  // a late reply after a timeout
    if (what.mid != expected_) {
      // A server on another node is monitored during the call: its down (or its node's)
      // ends the call at once, instead of at its timeout.
      if (what.mid.is_response() || !what.content().match_elements<caf::down_msg>())
        return false;
      reply_ = caf::make_message(down_reason(what.content().get_as<caf::down_msg>(0)));
    } else {
      reply_ = what.move_content_to_message();
    }
    waiting_ = false;
    return true;
  }

  std::mutex mtx_;
  std::condition_variable cv_;
  bool waiting_ = false;
  waiting_process* waiter_ = nullptr;
  caf::message_id expected_;
  std::optional<caf::message> reply_;
};

}  // namespace otp::detail
