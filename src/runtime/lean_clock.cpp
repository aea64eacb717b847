#include "runtime/lean_clock.hpp"

#include <caf/abstract_actor.hpp>
#include <caf/group.hpp>
#include <caf/mailbox_element.hpp>

namespace otp::detail {

void lean_clock::note(caf::abstract_actor* self) {
  std::lock_guard guard{mutex_};
  if (with_timeouts_.insert(self->id()).second)
    count_.fetch_add(1);
}

bool lean_clock::forget(caf::abstract_actor* self) {
  // An actor sets its timeouts and exits on its own thread, one after the other, so it sees
  // its own increment here.
  if (count_.load() == 0)
    return false;
  std::lock_guard guard{mutex_};
  if (with_timeouts_.erase(self->id()) == 0)
    return false;
  count_.fetch_sub(1);
  return true;
}

void lean_clock::set_ordinary_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                                      std::uint64_t id) {
  note(self);
  real_.set_ordinary_timeout(t, self, type, id);
}

void lean_clock::set_request_timeout(time_point t, caf::abstract_actor* self, caf::message_id id) {
  note(self);
  real_.set_request_timeout(t, self, id);
}

void lean_clock::set_multi_timeout(time_point t, caf::abstract_actor* self, caf::atom_value type,
                                   std::uint64_t id) {
  note(self);
  real_.set_multi_timeout(t, self, type, id);
}

void lean_clock::cancel_ordinary_timeout(caf::abstract_actor* self, caf::atom_value type) {
  real_.cancel_ordinary_timeout(self, type);
}

void lean_clock::cancel_request_timeout(caf::abstract_actor* self, caf::message_id id) {
  real_.cancel_request_timeout(self, id);
}

void lean_clock::cancel_timeouts(caf::abstract_actor* self) {
  if (!forget(self))
    return;
  cancellations_.fetch_add(1);
  real_.cancel_timeouts(self);
}

void lean_clock::schedule_message(time_point t, caf::strong_actor_ptr receiver,
                                  caf::mailbox_element_ptr content) {
  scheduled_.fetch_add(1, std::memory_order_relaxed);
  real_.schedule_message(t, std::move(receiver), std::move(content));
}

void lean_clock::schedule_message(time_point t, caf::group target, caf::strong_actor_ptr sender,
                                  caf::message content) {
  scheduled_.fetch_add(1, std::memory_order_relaxed);
  real_.schedule_message(t, std::move(target), std::move(sender), std::move(content));
}

void lean_clock::cancel_all() {
  real_.cancel_all();
}

}  // namespace otp::detail
