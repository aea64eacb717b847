// What a gen_server tells about itself: `sys` (state, status, suspend, resume, trace, stop),
// the debug lines of `sys::trace`, and the crash report when it terminates abnormally.

#include "otp/caf.hpp"
#include "process/server_core.hpp"

#include "otp/detail/atoms.hpp"
#include "otp/detail/box.hpp"
#include "otp/detail/boxed_message.hpp"
#include "otp/detail/remote_dispatch.hpp"
#include "otp/logger.hpp"
#include "otp/node.hpp"
#include "otp/sys.hpp"
#include "process/timer_message.hpp"
#include "runtime/caf_error.hpp"

#include <caf/actor_cast.hpp>

#include <fmt/format.h>

#include <tuple>

namespace otp::detail {

std::string server_core::state_text() {
  return callbacks_ ? callbacks_->format_state() : std::string{"undefined"};
}

caf::behavior server_core::system_behavior() {
  // One behaviour shared by every process: a behaviour per process cost ~330 bytes each, a
  // fifth of an idle connection. Its handlers run inside `resume`, so `current()` is set.
  static const caf::behavior shared{
    [](sys_atom, get_state_atom) -> std::string { return current()->callbacks_->format_state(); },
    [](sys_atom, get_status_atom) { return box<server_status>{current()->status()}; },
    [](sys_atom, suspend_atom) {
      current()->suspended_ = true;
      return caf::unit;
    },
    [](sys_atom, resume_atom) {
      auto* self = current();
      self->suspended_ = false;
      self->replay_deferred();
      // Messages skipped while suspended are retried only after the behaviour changes.
      self->become(self->system_behavior());
      return caf::unit;
    },
    [](sys_atom, trace_atom, bool on) {
      current()->trace_ = on;
      return caf::unit;
    },
    [](sys_atom, stop_atom, caf::error& reason) {
      current()->stop_with(from_caf_error(reason));
      return caf::unit;
    },
    [](idle_atom, std::uint64_t generation) { current()->on_idle_timeout(generation); },
    [](wait_deadline_atom, std::int64_t at) { current()->wait_deadline_passed(at); },
  };
  return shared;
}

server_core::incoming server_core::describe_incoming() {
  auto* elem = current_mailbox_element();
  if (!elem)
    return {incoming::kind::info, "undefined"};
  auto& xs = elem->content();
  auto request = [](bool call, std::string what) {
    return incoming{call ? incoming::kind::call : incoming::kind::cast, std::move(what)};
  };
  if (xs.size() == 2 && xs.match_element<dispatch_ref>(0)) {
    const auto& d = *xs.get_as<dispatch_ref>(0).d;
    return request(d.call, d.describe(xs.get(1)));
  }
  if (auto remote = remote_envelope(xs); remote != 0) {
    bool is_call = remote == 1;
    if (const auto* d = callbacks_ ? remote_dispatch_for(callbacks_->tag(), xs, is_call) : nullptr)
      return request(is_call, d->describe(xs.get(1)));
    return request(is_call, caf::to_string(elem->copy_content_to_message()));
  }
  if (is_timer_message(xs))  // what the timer delivers, as if it had just been sent
    return {incoming::kind::info, caf::to_string(xs.get_as<caf::message>(2))};
  return {incoming::kind::info, caf::to_string(elem->copy_content_to_message())};
}

std::string server_core::describe_current() {
  auto in = describe_incoming();
  if (in.what == incoming::kind::info)
    return std::move(in.text);
  return fmt::format("{{'$gen_{}',{}}}", in.what == incoming::kind::call ? "call" : "cast",
                     in.text);
}

otp::pid server_core::current_caller() {
  auto* elem = current_mailbox_element();
  return elem ? otp::to_pid(elem->sender) : otp::pid{};
}

void server_core::trace_incoming() {
  // As OTP's sys debug lines: got call Req from Pid / got cast Req / got Info.
  auto in = describe_incoming();
  switch (in.what) {
    case incoming::kind::call:
      trace(fmt::format("got call {} from {}", in.text, current_caller()));
      break;
    case incoming::kind::cast:
      trace(fmt::format("got cast {}", in.text));
      break;
    case incoming::kind::info:
      trace(fmt::format("got {}", in.text));
      break;
  }
}

void server_core::trace_reply(const std::string& reply) {
  trace(fmt::format("sent {} to {}, new state {}", reply, current_caller(), state_text()));
}

void server_core::trace_new_state() {
  trace(fmt::format("new state {}", state_text()));
}

void server_core::report_crash(const exit_reason& reason) {
  auto& log = home().logger();
  if (!log.enabled(log_level::error))
    return;
  auto who = display_name();
  auto last = describe_current();
  auto state = state_text();
  auto module = callbacks_ ? callbacks_->type_name() : std::string{"undefined"};
  log_event e;
  e.level = log_level::error;
  e.kind = "crash_report";
  e.text = fmt::format(
    "** Generic server {} terminating\n** Last message in was {}\n** When server state == {}\n"
    "** Reason for termination ==\n** {}",
    who, last, state, reason);
  e.fields = {{"name", who},          {"pid", fmt::format("{}", pid_of_self())},
              {"module", module},     {"reason", fmt::format("{}", reason)},
              {"last_message", last}, {"state", state}};
  log.log(std::move(e));
}

void server_core::unhandled(const std::string& what) {
  home().logger().log(log_level::warning, "unexpected_message",
                      "{} {} received an unexpected message: {}",
                      callbacks_ ? callbacks_->type_name() : "server", display_name(), what);
}

void server_core::trace(std::string what) {
  home().logger().log(log_level::debug, "trace", "*DBG* {} {}", display_name(), what);
}

std::size_t server_core::mailbox_length() {
  // CAF's size() leaves out the messages the process skipped (those a suspended server holds
  // back): they sit in each category's cache. process_info(P, message_queue_len) counts them.
  auto& box = mailbox();
  auto waiting = box.size();
  auto& categories = box.queue().queues();
  waiting += std::get<0>(categories).cache().total_task_size();  // urgent
  waiting += std::get<1>(categories).cache().total_task_size();  // normal
  return static_cast<std::size_t>(waiting);
}

server_status server_core::status() {
  server_status s;
  s.pid = pid_of_self();
  s.name = registered_name();
  s.module = callbacks_->type_name();
  s.suspended = suspended_;
  s.trace = trace_;
  s.trap_exit = trap_exit();
  s.mailbox_size = mailbox_length();
  s.calls = calls_.load(std::memory_order_relaxed);
  s.casts = casts_.load(std::memory_order_relaxed);
  s.infos = infos_.load(std::memory_order_relaxed);
  if (bounded()) {
    s.mailbox_limit = mailbox_max();
    s.mailbox_dropped = dropped();
  }
  s.state = callbacks_->format_state();
  return s;
}

}  // namespace otp::detail
