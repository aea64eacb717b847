#pragma once

#include <caf/detail/thread_safe_actor_clock.hpp>

#include <atomic>
#include <cstddef>
#include <mutex>
#include <unordered_set>

namespace otp::detail {

/// CAF's clock as the scheduler hands it to actors, minus one cost: CAF cancels an actor's
/// timeouts whenever it exits, and each cancellation wakes the clock's thread through a futex,
/// even for the great majority of processes that never set a timeout. On two cores that
/// wake-up runs the clock thread against the supervisor about to restart the process (or the
/// connection about to close). This clock forwards everything to the real one but drops the
/// cancellations of actors that have no timeout in it. (It derives from CAF's thread-safe
/// clock, whose queue it leaves unused, because CAF's coordinator declares `clock()` to
/// return that type.)
class lean_clock final : public caf::detail::thread_safe_actor_clock {
 public:
  explicit lean_clock(caf::detail::thread_safe_actor_clock& real) noexcept : real_(real) {}

  void set_ordinary_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                            std::uint64_t id) override;
  void set_request_timeout(time_point t, caf::abstract_actor* self, caf::message_id id) override;
  void set_multi_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                         std::uint64_t id) override;
  void cancel_ordinary_timeout(caf::abstract_actor* self, caf::atom_value type) override;
  void cancel_request_timeout(caf::abstract_actor* self, caf::message_id id) override;
  void cancel_timeouts(caf::abstract_actor* self) override;
  void schedule_message(time_point t, caf::strong_actor_ptr receiver,
                        caf::mailbox_element_ptr content) override;
  void schedule_message(time_point t, caf::group target, caf::strong_actor_ptr sender,
                        caf::message content) override;
  void cancel_all() override;

  /// How many actors have (or had, until their exit) a timeout in the clock.
  std::size_t actors_with_timeouts() const noexcept { return count_.load(); }

  /// How many exits were passed on to the real clock to cancel their timeouts.
  std::size_t cancellations() const noexcept { return cancellations_.load(); }

  /// How many delayed messages went through (each one a lock and a wake of the clock thread).
  std::size_t scheduled_messages() const noexcept { return scheduled_.load(); }

 private:
  void note(caf::abstract_actor* self);
  bool forget(caf::abstract_actor* self);

  caf::detail::thread_safe_actor_clock& real_;
  std::atomic<std::size_t> count_{0};
  std::atomic<std::size_t> cancellations_{0};
  std::atomic<std::size_t> scheduled_{0};
  std::mutex mutex_;
  std::unordered_set<caf::actor_id> with_timeouts_;
};

}  // namespace otp::detail
