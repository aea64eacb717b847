// A bounded mailbox (`mailbox_limit`): counted in by senders, counted out as the process
// takes messages, and what the policy says when it is full.

#include "process/process_core.hpp"

#include "otp/detail/atoms.hpp"
#include "otp/logger.hpp"
#include "otp/node.hpp"
#include "process/process_task.hpp"
#include "process/send_refusal.hpp"
#include "runtime/caf_error.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace otp::detail {

namespace {

/// Calls, casts and infos may be dropped; exit signals, downs, replies, `sys` requests and the
/// machinery's own messages (atoms first, I/O tasks) may not.
bool droppable(const caf::mailbox_element& x) {
  if (x.mid.is_response())
    return false;
  const auto& xs = x.content();
  if (xs.size() == 0 || xs.match_element<caf::atom_value>(0) || xs.match_element<task_ref>(0))
    return false;
  return !(xs.size() == 1
           && (xs.match_element<caf::exit_msg>(0) || xs.match_element<caf::down_msg>(0)));
}

exit_reason mailbox_full_reason() {
  return exit_reason::error("mailbox_full");
}

}  // namespace

void process_core::limit_mailbox(const mailbox_limit& limit) {
  if (limit.max == 0)
    return;
  if (limit.max > std::numeric_limits<std::uint32_t>::max() / 2)
    throw std::invalid_argument("mailbox_limit: max above 2^31");
  if (limit.high_water > limit.max)
    throw std::invalid_argument("mailbox_limit: high_water above max");
  cold().limit = limit;
  bounded_ = true;
}

std::size_t process_core::high_water() const noexcept {
  const auto& limit = cold_->limit;
  return limit.high_water != 0 ? limit.high_water : std::max<std::size_t>(1, limit.max * 3 / 4);
}

bool process_core::admit(caf::mailbox_element& x, caf::execution_unit* host) {
  auto& c = *cold_;
  std::size_t n = queued_.fetch_add(1, std::memory_order_acq_rel) + 1;  // with this one
  if (n >= high_water() && !c.high_water_logged.exchange(true, std::memory_order_acq_rel))
    home().logger().log(log_level::warning, "mailbox_high_water",
                        "mailbox of {} reached {} messages (limit {}, overflow {})", display_name(),
                        n, c.limit.max, to_string(c.limit.overflow));
  if (n <= c.limit.max || !droppable(x))
    return true;
  if (c.limit.overflow == overflow_policy::drop_oldest && n <= 2 * c.limit.max) {
    c.drop_debt.fetch_add(1, std::memory_order_acq_rel);  // the oldest goes instead
    return true;
  }
  queued_.fetch_sub(1, std::memory_order_acq_rel);
  refuse(x, host);
  if (c.limit.overflow == overflow_policy::fail_sender && !x.mid.is_request())
    note_send_refused(pid_of_self(), c.limit.max);
  else if (c.limit.overflow == overflow_policy::crash)
    c.overflowed.store(true, std::memory_order_release);
  return false;
}

bool process_core::drop_on_arrival(caf::mailbox_element& x) {
  auto& c = *cold_;
  if (c.overflowed.load(std::memory_order_acquire) && !is_stopping()) {
    // As an Erlang process over its max_heap_size: gone before it handles another message.
    note_dequeued();
    refuse(x, context());
    quit(to_caf_error(mailbox_full_reason()));
    return true;
  }
  auto debt = c.drop_debt.load(std::memory_order_acquire);
  while (debt > 0 && droppable(x)) {
    if (c.drop_debt.compare_exchange_weak(debt, debt - 1, std::memory_order_acq_rel)) {
      note_dequeued();
      refuse(x, context());
      return true;
    }
  }
  return false;
}

void process_core::note_dequeued() noexcept {
  auto n = queued_.fetch_sub(1, std::memory_order_acq_rel) - 1;
  auto& c = *cold_;
  if (n < high_water() / 2 && c.high_water_logged.load(std::memory_order_relaxed)) {
    c.high_water_logged.store(false, std::memory_order_relaxed);
    c.overflow_logged.store(false, std::memory_order_relaxed);
  }
}

void process_core::refuse(caf::mailbox_element& x, caf::execution_unit* host) {
  auto& c = *cold_;
  c.dropped.fetch_add(1, std::memory_order_relaxed);
  if (x.mid.is_request() && x.sender)
    x.sender->enqueue(ctrl(), x.mid.response_id(),
                      caf::make_message(to_caf_error(mailbox_full_reason())), host);
  if (!c.overflow_logged.exchange(true, std::memory_order_acq_rel))
    home().logger().log(
      log_level::warning, "mailbox_overflow", "mailbox of {} is full ({} messages): {}",
      display_name(), c.limit.max,
      c.limit.overflow == overflow_policy::crash ? "the process exits" : "dropping messages");
}

std::uint64_t process_core::dropped() const noexcept {
  return bounded_ ? cold_->dropped.load(std::memory_order_relaxed) : 0;
}

std::size_t process_core::mailbox_max() const noexcept {
  return bounded_ ? cold_->limit.max : 0;
}

}  // namespace otp::detail
