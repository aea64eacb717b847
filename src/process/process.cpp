#include "otp/process.hpp"
#include "otp/caf.hpp"

#include "otp/detail/boxed_message.hpp"
#include "otp/detail/exit_request.hpp"
#include "otp/mailbox_limit.hpp"
#include "otp/node.hpp"
#include "process/process_core.hpp"
#include "process/send_refusal.hpp"
#include "process/start_deadline.hpp"
#include "process/timer_message.hpp"
#include "runtime/caf_error.hpp"

#include "runtime/deterministic.hpp"
#include "runtime/exit_watch.hpp"

#include <caf/actor_system.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>
#include <caf/system_messages.hpp>

#include <algorithm>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <thread>

namespace otp {

namespace {

detail::process_core& current(const char* what) {
  auto* self = detail::process_core::current();
  if (!self)
    throw std::logic_error(std::string{what} + " must be called from a caf-otp process");
  return *self;
}

}  // namespace

pid self() {
  return current("otp::self()").pid_of_self();
}

node& this_node() {
  return current("otp::this_node()").home();
}

bool cancel_timer(const timer_ref& t) noexcept {
  return t.state_ && t.state_->cancel();
}

void monitor(const pid& p) {
  if (p)
    current("otp::monitor").monitor(otp::to_actor(p));
}

void demonitor(const pid& p) {
  if (p)
    current("otp::demonitor").demonitor(otp::to_actor(p));
}

void link(const pid& p) {
  if (p)
    current("otp::link").link_to(otp::to_actor(p));
}

void unlink(const pid& p) {
  if (p)
    current("otp::unlink").unlink_from(otp::to_actor(p));
}

bool trap_exit(bool on) {
  auto& self = current("otp::trap_exit");
  auto previous = self.trap_exit();
  self.trap_exit(on);
  return previous;
}

void exit(const pid& p, exit_reason reason) {
  if (!p)
    return;
  auto* self = detail::process_core::current();
  // Erlang ignores another process's `normal` signal, but one a process sends itself ends it
  // (unless it traps exits): at once, without terminate, as any untrapped signal. Only on the
  // process's own stack: an init runs on its starter's.
  if (self && reason.is_normal() && !self->trap_exit()
      && otp::to_actor(p).address() == self->address()
      && detail::waiting_process::current() == self)
    throw detail::process_exit{std::move(reason)};
  auto err = detail::to_caf_error(reason);
  if (self)
    self->send_exit(otp::to_actor(p), std::move(err));
  else  // no sender: as in CAF's own anon_send_exit, minus its fixed exit_reason type
    otp::to_actor(p)->enqueue(nullptr, caf::make_message_id(),
                              caf::make_message(caf::exit_msg{caf::actor_addr{}, std::move(err)}),
                              nullptr);
}

std::optional<exit_reason> await_exit(const pid& p, timeout t) {
  if (!p)
    return exit_reason::noproc();
  detail::exit_watch watch{otp::to_actor(p)};
  if (!detail::wait_within_start_deadline(t, [&](timeout left) { return watch.wait(left); }))
    return std::nullopt;
  return detail::from_caf_error(watch.reason());
}

void exit(exit_reason reason) {
  current("otp::exit");
  throw detail::exit_request{std::move(reason)};
}

}  // namespace otp

namespace otp::detail {

namespace {

struct send_refusal {
  otp::pid receiver;
  std::size_t max = 0;
};

// Set by a full mailbox in `enqueue`, on the sender's thread; read right after. A process may
// go on on another thread, but never between the two: enqueue does not wait.
thread_local std::optional<send_refusal> refused;

}  // namespace

void clear_send_refusal() noexcept {
  refused.reset();
}

void note_send_refused(const pid& receiver, std::size_t max) {
  refused = send_refusal{receiver, max};
}

void throw_if_send_refused() {
  if (!refused)
    return;
  auto r = std::move(*refused);
  refused.reset();
  throw mailbox_full{std::move(r.receiver), r.max};
}

namespace {

void send_message(const pid& dest, caf::message msg) {
  auto* self = process_core::current();
  auto sender = self ? self->ctrl() : nullptr;
  clear_send_refusal();
  otp::to_actor(dest)->enqueue(std::move(sender), caf::make_message_id(), std::move(msg),
                               self ? self->context() : nullptr);
  throw_if_send_refused();
}

void send_message_after(timeout delay, const pid& dest, caf::message msg) {
  auto* self = process_core::current();
  auto& clock = otp::to_actor(dest)->home_system().clock();
  auto sender = self ? self->ctrl() : nullptr;
  clock.schedule_message(
    clock.now() + delay, caf::actor_cast<caf::strong_actor_ptr>(otp::to_actor(dest)),
    caf::make_mailbox_element(std::move(sender), caf::make_message_id(), {}, std::move(msg)));
}

}  // namespace

void send_boxed(const pid& dest, box_maker msg) {
  if (!dest)
    return;
  send_message(dest, to_message(boxed_message(msg)));
}

void send_boxed_after(timeout delay, const pid& dest, std::shared_ptr<timer_state> state,
                      box_maker msg) {
  if (!dest)
    return;
  send_message_after(delay, dest, timer_message(std::move(state), to_message(boxed_message(msg))));
}

}  // namespace otp::detail

namespace otp {

namespace {

bool runs_in_virtual_time(detail::process_core& self) {
  return dynamic_cast<caf::scheduler::test_coordinator*>(&self.home_system().scheduler());
}

}  // namespace

void sleep(timeout t) {
  // Inside a bounded init the sleep ends with it (start_deadline.hpp).
  auto left = detail::bound_by_start_deadline(t);
  if (auto* waiter = detail::waiting_process::current()) {
    waiter->prepare_wait();
    waiter->suspend(left == infinity ? infinity : std::max(left, timeout{1}));
  } else if (auto* self = detail::process_core::current(); self && runs_in_virtual_time(*self)) {
    // A test thread running a process's code (an init started from a test): virtual time.
    detail::drive_until(
      self->home_system(), [] { return false; }, left);
  } else {
    std::this_thread::sleep_for(left == infinity ? std::chrono::hours{24 * 365} : left);
  }
  if (left != t)
    detail::throw_if_start_deadline_passed();
}

}  // namespace otp
