#include "process/request.hpp"

#include "process/reply_sink.hpp"
#include "runtime/deterministic.hpp"
#include "runtime/exit_watch.hpp"

#include "otp/detail/waiting_process.hpp"
#include "process/process_core.hpp"
#include "process/start_deadline.hpp"
#include "runtime/caf_error.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_registry.hpp>
#include <caf/actor_system.hpp>
#include <caf/default_attachable.hpp>
#include <caf/make_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/sec.hpp>

#include <atomic>
#include <chrono>
#include <memory>

namespace otp::detail {

namespace {

bool is_deterministic(caf::actor_system& sys) {
  return dynamic_cast<caf::scheduler::test_coordinator*>(&sys.scheduler()) != nullptr;
}

bool has_terminated(const caf::actor& a) {
  return caf::actor_cast<caf::abstract_actor*>(a)->getf(caf::abstract_actor::is_terminated_flag);
}

/// The exit reason of a process that bounced our request (it may still be finishing its exit).
exit_reason exit_reason_of(const caf::actor& dead) {
  exit_watch watch{dead};
  if (!watch.wait(std::chrono::seconds{1}))
    return exit_reason::noproc();
  return from_caf_error(watch.reason());
}

std::atomic<std::uint64_t> request_counter{0};

// The functions a wait runs under are kept out of line and small: a parked process's frames
// are what its waiting costs (copied to the heap when its stack is needed), so whatever is
// needed only before or after the wait lives in frames of its own.

[[gnu::noinline]] expected<caf::message, call_error> to_call_result(
  std::optional<caf::message>&& response, const caf::actor& dest) {
  if (!response) {
    throw_if_start_deadline_passed();
    return unexpected{call_error{call_error::kind::timeout}};
  }
  if (response->size() == 1 && response->match_element<caf::error>(0))
    return unexpected{to_call_error(response->get_as<caf::error>(0), dest)};
  return std::move(*response);
}

/// Sends a call's request with the process `owner` as its reply address.
// (Messages by reference here and in to_call_result: a parameter taken by value is a copy in
// the caller's frame, request_from_process's, which is under the wait.)
[[gnu::noinline]] void send_request(process_core& owner, const caf::actor& dest,
                                    caf::message_id mid, caf::message&& msg) {
  caf::actor_cast<caf::abstract_actor*>(dest)->enqueue(
    caf::make_mailbox_element(caf::actor_cast<caf::strong_actor_ptr>(owner.ctrl()), mid, {},
                              std::move(msg)),
    owner.context());
}

}  // namespace

call_error to_call_error(const caf::error& e, const caf::actor& dest) {
  if (!e)  // calling category() on an empty error crashes in CAF 0.17
    return call_error{call_error::kind::exited, exit_reason::normal()};
  if (e.category() == caf::atom("system")) {
    switch (static_cast<caf::sec>(e.code())) {
      case caf::sec::request_timeout:
        return call_error{call_error::kind::timeout};
      case caf::sec::request_receiver_down:
        return call_error{call_error::kind::exited, exit_reason_of(dest)};
      case caf::sec::invalid_argument:
        return call_error{call_error::kind::badarg};
      default:
        break;
    }
  }
  auto reason = from_caf_error(e);
  if (reason == exit_reason::error("mailbox_full"))  // refused by a full mailbox
    return call_error{call_error::kind::mailbox_full};
  return call_error{call_error::kind::exited, std::move(reason)};
}

bool refused(const caf::actor& dest, const caf::message& msg) {
  if (!dest || msg.empty())
    return true;
  auto* self = process_core::current();
  return (self && self->id() == dest.id()) || has_terminated(dest);
}

expected<caf::message, call_error> refusal(const caf::actor& dest, const caf::message& msg) {
  if (!dest)
    return unexpected{call_error{call_error::kind::noproc}};
  if (msg.empty())  // a request type the server's node cannot read
    return unexpected{call_error{call_error::kind::badarg}};
  auto* self = process_core::current();
  if (self && self->id() == dest.id())
    return unexpected{call_error{call_error::kind::calling_self}};
  // A proxy killed by its node's disconnection: say so (Erlang's `{nodedown, Node}`).
  if (dest.node() != dest->home_system().node()) {
    if (auto reason = exit_reason_of(dest); reason == exit_reason::noconnection())
      return unexpected{call_error{call_error::kind::exited, reason}};
  }
  return unexpected{call_error{call_error::kind::noproc}};
}

process_core* waiting_on_own_stack(const caf::actor& dest) noexcept {
  auto* owner = process_core::stack_owner();
  return owner && dest.node() == dest->home_system().node() ? owner : nullptr;
}

timeout request_timeout(timeout t) {
  return bound_by_start_deadline(t);
}

expected<caf::message, call_error> request_from_process(process_core& owner, const caf::actor& dest,
                                                        caf::message&& msg, timeout t,
                                                        bool urgent) {
  auto mid = owner.arm_call(++request_counter, urgent);
  owner.prepare_wait();
  std::optional<caf::message> reply;
  {
    // However the wait ends (a reply, the timeout, the process killed), the call is disarmed
    // and a later reply dropped.
    struct disarm_at_exit {
      process_core& owner;
      std::optional<caf::message>& reply;
      ~disarm_at_exit() { reply = owner.disarm_call(); }
    } disarm{owner, reply};
    send_request(owner, dest, mid, std::move(msg));
    owner.suspend(t);  // throws process_exit when the process is killed meanwhile
  }
  return to_call_result(std::move(reply), dest);
}

expected<caf::message, call_error> request_through_sink(const caf::actor& dest, caf::message&& msg,
                                                        timeout t, bool urgent) {
  auto* self = process_core::current();
  auto& sys = dest->home_system();
  caf::actor_config cfg;
  auto sink_ptr =
    caf::make_actor<reply_sink, caf::strong_actor_ptr>(sys.next_actor_id(), sys.node(), &sys, cfg);
  auto* sink = static_cast<reply_sink*>(caf::actor_cast<caf::abstract_actor*>(sink_ptr));
  // Inside a process the wait parks the process; elsewhere it blocks the calling thread.
  auto* waiter = waiting_process::current();
  auto mid = sink->arm(++request_counter, waiter, urgent);
  if (waiter)
    waiter->prepare_wait();
  // A proxy of a server on another node is monitored for the call: the remote server's exit,
  // or its node's disconnection, fails the call at once (CAF drops requests to dead proxies).
  auto* target = caf::actor_cast<caf::abstract_actor*>(dest);
  bool remote = dest.node() != sys.node();
  if (remote)
    target->attach(caf::default_attachable::make_monitor(target->address(), sink->address()));
  // However the wait ends — a reply, a timeout, the caller killed meanwhile — the sink takes
  // no further reply, and a remote target forgets the sink.
  auto cleanup = [&] {
    sink->disarm();
    if (remote) {
      target->detach(
        caf::default_attachable::observe_token{sink->address(), caf::default_attachable::monitor});
      // Serialising the sink as the sender registered it; it never terminates to unregister.
      sys.registry().erase(sink->id());
    }
  };
  struct on_exit {
    decltype(cleanup)& run;
    ~on_exit() { run(); }
  } guard{cleanup};
  caf::actor_cast<caf::abstract_actor*>(dest)->enqueue(
    caf::make_mailbox_element(sink_ptr, mid, {}, std::move(msg)), self ? self->context() : nullptr);
  std::optional<caf::message> response;
  if (waiter) {
    waiter->suspend(t);
    sink->disarm();
    response = sink->poll();
  } else if (is_deterministic(sys)) {
    drive_until(
      sys,
      [&] {
        response = sink->poll();
        return response.has_value();
      },
      t);
  } else if (t == infinity) {
    response = sink->wait();
  } else {
    response = sink->wait_until(std::chrono::steady_clock::now() + t);
  }
  return to_call_result(std::move(response), dest);
}

}  // namespace otp::detail
