#include "process/plain_process.hpp"

#include "otp/caf.hpp"
#include "otp/detail/atoms.hpp"
#include "otp/detail/box.hpp"
#include "otp/detail/boxed_message.hpp"
#include "otp/detail/exit_request.hpp"
#include "otp/logger.hpp"
#include "otp/messages.hpp"
#include "otp/node.hpp"
#include "process/process_task.hpp"
#include "process/timer_message.hpp"
#include "runtime/caf_error.hpp"
#include "runtime/quiet_caf_logger.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/send.hpp>
#include <caf/system_messages.hpp>

#include <fmt/format.h>

#include <stdexcept>

namespace otp::detail {

namespace {

// The function's first run, and the end of a wait that parked the process (`schedule_woken`).
using plain_start_atom = caf::atom_constant<caf::atom("otp_pstart")>;
using plain_wake_atom = caf::atom_constant<caf::atom("otp_pwake")>;

bool is_atom(const caf::type_erased_tuple& xs, caf::atom_value a) {
  return xs.size() == 1 && xs.match_element<caf::atom_value>(0)
         && xs.get_as<caf::atom_value>(0) == a;
}

/// A message sent with `otp::send` or a request, `(box<T>)` or `(dispatch_ref, box<T>)`: not
/// one of CAF's types (a signal, an atom) nor a socket's task. What the branches of `handle`
/// after the first would keep all the same.
bool is_user_message(const caf::type_erased_tuple& xs) noexcept {
  auto n = xs.size();
  if (n != 1 && n != 2)
    return false;
  auto [nr, type] = xs.type(n - 1);
  return nr == 0 && (n == 2 || *type != typeid(task_ref));
}

}  // namespace

plain_process::plain_process(caf::actor_config& cfg) : process_core(cfg, false) {}

void plain_process::start() {
  begin_running();
  caf::anon_send(caf::actor_cast<caf::actor>(ctrl()), plain_start_atom::value);
}

plain_process* plain_process::current() noexcept {
  auto* self = process_core::current();
  return self && !self->is_server() ? static_cast<plain_process*>(self) : nullptr;
}

caf::behavior plain_process::make_behavior() {
  // Never consulted (`handle` takes every message), but a process without a behaviour
  // would be terminated by CAF as done.
  return {[](plain_wake_atom) {}};
}

caf::resumable::resume_result plain_process::resume(caf::execution_unit* ctx,
                                                    std::size_t max_throughput) {
  // On the thread's stack: the function's stack is entered from `handle`, when a message
  // lets it go on.
  quiet_caf_logger();
  return caf::event_based_actor::resume(ctx, max_throughput);
}

caf::invoke_message_result plain_process::handle(caf::mailbox_element& x) {
  if (finished_)
    return caf::invoke_message_result::consumed;
  if (x.mid.is_response())  // the reply to a call that gave up waiting for it
    return caf::invoke_message_result::consumed;
  auto& xs = x.content();
  if (is_user_message(xs)) {  // the common case first: one look instead of one per kind below
    if (x.mid.is_request())
      keep(x.move_content_to_message(), x.sender, x.mid);
    else
      keep(x.move_content_to_message());
  } else if (xs.match_elements<caf::exit_msg>()) {
    on_exit_signal(xs.get_mutable_as<caf::exit_msg>(0));
  } else if (xs.match_elements<caf::down_msg>()) {
    auto& d = xs.get_as<caf::down_msg>(0);
    keep(caf::make_message(box<down>{down{otp::to_pid(d.source), from_caf_error(d.reason)}}));
  } else if (is_atom(xs, plain_wake_atom::value)) {
    if (wait_woken())  // else a wake for a wait that is over already
      go_on();
  } else if (is_atom(xs, plain_start_atom::value)) {
    if (!started_) {
      started_ = true;
      go_on();
    }
  } else if (xs.size() == 2 && xs.match_element<wait_deadline_atom>(0)
             && xs.match_element<std::int64_t>(1)) {
    wait_deadline_passed(xs.get_as<std::int64_t>(1));
  } else if (is_timer_message(xs)) {
    if (auto* payload = fire_timer(xs))  // else cancelled
      keep(std::move(*payload));
  } else if (xs.size() == 1 && xs.match_element<task_ref>(0)) {
    run_socket_task(xs.get_as<task_ref>(0));
  } else if (x.mid.is_request()) {
    keep(x.move_content_to_message(), x.sender, x.mid);
  } else {
    keep(x.move_content_to_message());
  }
  return caf::invoke_message_result::consumed;
}

void plain_process::run_socket_task(const task_ref& ref) {
  // Here, on the scheduler thread's stack, between two messages: a socket's task turns I/O
  // events into messages (net::data, ...) or writes what is queued, and never waits. The
  // function's stack stays parked in its wait; a message the task sends ends a receive.
  if (auto task = ref.task.lock()) {
    scope as_current{this};
    run_task(*task, ref.event);
  }
}

void plain_process::keep(caf::message content, caf::strong_actor_ptr sender, caf::message_id id) {
  if (!mailbox_)
    mailbox_ = std::make_unique<std::deque<kept_message>>();
  mailbox_->push_back(kept_message{std::move(content), std::move(sender), id});
  if (receiving_ && take_parked())
    go_on();
}

void plain_process::on_exit_signal(caf::exit_msg& signal) {
  // As CAF does for the exit signals it handles itself: a signal removes the link.
  unlink_from(signal.source);
  bool kill = is_kill(signal.reason);
  auto reason = kill ? exit_reason::killed() : from_caf_error(signal.reason);
  if (!kill && trap_exit()) {
    forget_trapped_exit();
    keep(caf::make_message(box<exit_signal>{exit_signal{otp::to_pid(signal.source), reason}}));
    return;
  }
  if (!kill && reason.is_normal())
    return;  // as in Erlang: a normal exit signal does not kill a process that does not trap
  die(std::move(reason));
}

void plain_process::die(exit_reason reason) {
  if (!started_) {  // killed before its function ran
    finished_ = true;
    body_.reset();
    quit(to_caf_error(reason));
    return;
  }
  // Parked in a wait: the wait throws `process_exit`, which unwinds the function's stack.
  kill_in_wait(std::move(reason));
  if (take_parked())
    go_on();
}

void plain_process::go_on() {
  run_on_own_stack(context(), &run_body, 0);
}

namespace {

/// Runs the function: what it threw, if anything. It and `run_body` are all of the library's
/// frames under a waiting function (what waiting costs: see `stack_pool`), so they are small
/// and what comes after the function has frames of its own.
[[gnu::noinline]] std::exception_ptr run_function(process_body& body) noexcept {
  try {
    body.run();
    return nullptr;
  } catch (...) {
    return std::current_exception();
  }
}

/// The exit reason an exception from the function means; `unexpected` when it is a crash.
exit_reason reason_of(const std::exception_ptr& error, bool& unexpected) {
  try {
    std::rethrow_exception(error);
  } catch (const process_exit& e) {
    return e.reason;
  } catch (const exit_request& e) {
    return e.reason;
  } catch (const std::exception& e) {
    unexpected = true;
    return exit_reason::exception(e.what());
  } catch (...) {
    unexpected = true;
    return exit_reason::exception("unknown");
  }
}

}  // namespace

std::uint8_t plain_process::run_body(process_core& self, std::uintptr_t) {
  auto& p = static_cast<plain_process&>(self);
  return p.end_function(run_function(*p.body_));
}

std::uint8_t plain_process::end_function(const std::exception_ptr& error) {
  auto reason = exit_reason::normal();
  if (error) {
    bool unexpected = false;
    reason = reason_of(error, unexpected);
    if (unexpected)
      report_error(reason);
  }
  try {
    body_.reset();  // the function's captures go with it, on its own stack
  } catch (...) {
  }
  finished_ = true;
  quit(to_caf_error(reason));
  return caf::resumable::done;
}

namespace {

/// `msg` as receive's clauses look at it (receive.hpp): the type and place of its only element.
received_view view_of(const caf::message& msg) noexcept {
  if (msg.size() != 1)
    return {nullptr, nullptr};
  const auto& xs = msg.content();
  auto type = xs.type(0);
  return {type.first == 0 ? type.second : nullptr, xs.get(0)};
}

}  // namespace

int plain_process::receive_next(receive_matcher match, const void* clauses, timeout t,
                                message_ref& out, void*& value) {
  t = std::max(t, timeout{0});
  auto deadline = t == infinity ? caf::actor_clock::time_point::max() : now() + t;
  std::size_t tried = 0;  // Erlang's save pointer: a wait only brings messages after it
  for (;;) {
    for (; mailbox_ && tried < mailbox_->size(); ++tried) {
      auto& kept = *mailbox_;
      auto index = match(clauses, view_of(kept[tried].content));
      if (index >= 0) {
        auto& msg = kept[tried].content;
        value = msg.get_mutable(0);  // copied first if shared
        out = to_ref(std::move(msg));
        kept.erase(kept.begin() + static_cast<std::ptrdiff_t>(tried));
        return index;
      }
    }
    auto left = infinity;
    if (t != infinity) {
      auto at = now();
      if (at >= deadline)
        return -1;
      left = std::chrono::ceil<timeout>(deadline - at);
    }
    struct receiving_guard {
      bool& flag;
      ~receiving_guard() { flag = false; }
    } guard{receiving_};
    receiving_ = true;
    prepare_wait();
    suspend(left);
  }
}

void plain_process::schedule_woken(caf::execution_unit* ctx) {
  // Through the mailbox, which schedules the process if it is idle: a parked plain process
  // has given its mailbox back, so scheduling it directly could run it on two threads. With
  // `ctx`, an idle process is run through it (an I/O thread's executor runs it at once).
  enqueue(caf::make_mailbox_element(nullptr, caf::make_message_id(), {}, plain_wake_atom::value),
          ctx);
}

void plain_process::before_leaving(const exit_reason&) {
  // Requests nobody received are refused, as CAF refuses those left in a dead mailbox.
  if (auto kept = std::move(mailbox_))
    for (auto& m : *kept)
      if (m.sender && m.id.is_request())
        m.sender->enqueue(ctrl(), m.id.response_id(),
                          caf::make_message(caf::make_error(caf::sec::request_receiver_down)),
                          context());
}

void plain_process::report_error(const exit_reason& reason) {
  home().logger().log(log_level::error, "process_error", "Error in process {} with exit value: {}",
                      pid_of_self(), reason);
}

int receive_next(receive_matcher match, const void* clauses, timeout t, message_ref& out,
                 void*& value) {
  auto* self = plain_process::current();
  if (!self)
    throw std::logic_error("otp::receive must be called from a process started by otp::spawn");
  return self->receive_next(match, clauses, t, out, value);
}

pid spawn_process(node* n, std::unique_ptr<process_body> body, spawn_mode mode) {
  auto* parent = process_core::current();
  if (mode != spawn_mode::plain && !parent)
    throw std::logic_error("otp::spawn_link and otp::spawn_monitor need a calling process");
  if (!n && !parent)
    throw std::logic_error("otp::spawn without a node must be called from a process");
  auto& home = n ? *n : parent->home();
  auto handle = home.system().spawn<plain_process, caf::lazy_init>();
  quiet_caf_logger();
  auto* process = caf::actor_cast<plain_process*>(handle);
  process->bind_body(std::move(body));
  if (mode == spawn_mode::link)
    parent->link_to(handle);
  else if (mode == spawn_mode::monitor)
    parent->monitor(handle);
  process->start();
  return otp::to_pid(handle);
}

}  // namespace otp::detail
