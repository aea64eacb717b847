#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include <atomic>
#include <memory>

namespace otp::detail {

/// Shared by a timer's message and its `timer_ref`: whichever of delivery and cancellation
/// comes first wins, so a cancelled timer's message is dropped on arrival.
struct timer_state {
  enum : int { pending, fired, cancelled };
  std::atomic<int> state{pending};

  bool fire() noexcept {
    int expected = pending;
    return state.compare_exchange_strong(expected, fired, std::memory_order_acq_rel);
  }

  bool cancel() noexcept {
    int expected = pending;
    return state.compare_exchange_strong(expected, cancelled, std::memory_order_acq_rel);
  }
};

struct timer_ref_box {
  std::shared_ptr<timer_state> state;
};

/// The atom that opens a timer's message (see atoms.hpp; spelled here to keep this header light).
inline caf::atom_value timer_atom_value() {
  return caf::atom("otp_timer");
}

}  // namespace otp::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otp::detail::timer_ref_box)
