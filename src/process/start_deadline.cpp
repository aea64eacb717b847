// A bounded init (start_options::timeout): see process/start_deadline.hpp.

#include "process/start_deadline.hpp"

#include "process/process_core.hpp"

namespace otp::detail {

void process_core::bound_init(timeout t, process_core* starter) {
  const cold_state* outer = starter ? starter->cold_if_any() : nullptr;
  if (outer && !outer->start_deadline_owner)
    outer = nullptr;
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

bool process_core::init_overran() {
  auto* c = cold_if_any();
  if (!c || !c->start_deadline_owner)
    return false;
  bool overran = c->start_deadline_owner == this && now() >= c->start_deadline;
  c->start_deadline = {};
  c->start_deadline_owner = nullptr;
  return overran;
}

timeout process_core::cut_to_start_deadline(timeout t) {
  const auto* c = cold_if_any();
  if (!c || !c->start_deadline_owner)
    return t;
  auto left = c->start_deadline - now();
  if (left <= decltype(left)::zero())
    throw start_timeout{c->start_deadline_owner};
  auto cut = std::chrono::ceil<timeout>(left);
  return t == infinity || cut < t ? cut : t;
}

timeout bound_by_start_deadline(timeout t) {
  auto* self = process_core::current();
  return self ? self->cut_to_start_deadline(t) : t;
}

void throw_if_start_deadline_passed() {
  if (auto* self = process_core::current())
    self->cut_to_start_deadline(infinity);
}

}  // namespace otp::detail
