// A bounded init (start_options::timeout): see otp/detail/start_deadline.hpp.

#include "otp/detail/start_deadline.hpp"

#include "otp/detail/server_core.hpp"

namespace otp::detail {

void server_core::bound_init(timeout t, server_core* starter) {
  const cold_state* outer = starter && starter->cold_ && starter->cold_->start_deadline_owner
                              ? starter->cold_.get()
                              : nullptr;
  if (t == infinity && !outer)
    return;
  auto& c = cold();
  if (t != infinity) {
    c.start_deadline = now() + t;
    c.start_deadline_owner = this;
  }
  // A start made inside a bounded init cannot outlast it: the outer start gives up first.
  if (outer && (!c.start_deadline_owner || outer->start_deadline < c.start_deadline)) {
    c.start_deadline = outer->start_deadline;
    c.start_deadline_owner = outer->start_deadline_owner;
  }
}

bool server_core::init_overran() {
  if (!cold_ || !cold_->start_deadline_owner)
    return false;
  bool overran = cold_->start_deadline_owner == this && now() >= cold_->start_deadline;
  cold_->start_deadline = {};
  cold_->start_deadline_owner = nullptr;
  return overran;
}

timeout server_core::cut_to_start_deadline(timeout t) {
  if (!cold_ || !cold_->start_deadline_owner)
    return t;
  auto left = cold_->start_deadline - now();
  if (left <= decltype(left)::zero())
    throw start_timeout{cold_->start_deadline_owner};
  auto cut = std::chrono::ceil<timeout>(left);
  return t == infinity || cut < t ? cut : t;
}

timeout bound_by_start_deadline(timeout t) {
  auto* self = server_core::current();
  return self ? self->cut_to_start_deadline(t) : t;
}

void throw_if_start_deadline_passed() {
  if (auto* self = server_core::current())
    self->cut_to_start_deadline(infinity);
}

}  // namespace otp::detail
