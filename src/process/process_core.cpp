// The process layer: a process's start, its mailbox's door, its name and its exit.

#include "process/process_core.hpp"
#include "otp/caf.hpp"

#include "otp/detail/exit_request.hpp"
#include "otp/node.hpp"
#include "runtime/caf_error.hpp"
#include "runtime/node_access.hpp"
#include "runtime/quiet_caf_logger.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/detail/sync_request_bouncer.hpp>

#include <fmt/format.h>

#include "process/message_loop.hpp"
#include "process/noted_exit.hpp"
#include "process/parked_state.hpp"
#include "process/wait_state.hpp"
#include "runtime/spin_guard.hpp"

namespace otp::detail {

namespace {

caf::error exception_to_exit(caf::scheduled_actor*, std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const process_exit& x) {
    return to_caf_error(x.reason);
  } catch (const exit_request& x) {
    return to_caf_error(x.reason);
  } catch (const std::exception& x) {
    return to_caf_error(exit_reason::exception(x.what()));
  } catch (...) {
    return to_caf_error(exit_reason::exception("unknown"));
  }
}

}  // namespace

// -- construction and start-up ---------------------------------------------------------------

process_core::process_core(caf::actor_config& cfg, bool server)
  : caf::event_based_actor(cfg), server_(server) {
  set_exception_handler(exception_to_exit);
}

process_core::~process_core() {
  bounce_buffered();
  std::unique_ptr<call_slot> slot{call_slot_.load(std::memory_order_acquire)};
  if (parked_)  // a process gone while it waited
    stack_pool::abandon(parked_->turn);
  // An exit signal noted for a wait that never came to it.
  noted_exit never_delivered{pending_exit_.exchange(nullptr)};
}

void process_core::enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit* host) {
  if (ptr && wait_state_.load(std::memory_order_acquire) != idle) {
    if (ptr->mid.is_response() && take_call_reply(*ptr))
      return;
    if (on_wait_deadline(*ptr))
      return;
  }
  // Noted whatever the process is doing: a signal that comes while the process runs, before
  // it starts to wait, must end that wait too (its turn handles no message until the wait ends).
  if (ptr && ptr->mid.is_async())  // exit signals are; requests and replies need no look
    note_exit_signal(*ptr);
  if (bounded_ && ptr && !admit(*ptr, host))
    return;
  if (!running_.load(std::memory_order_acquire)) {
    spin_guard guard{buffer_lock_};
    if (!running_.load(std::memory_order_relaxed)) {
      if (!buffered_)
        buffered_ = std::make_unique<std::vector<caf::mailbox_element_ptr>>();
      buffered_->push_back(std::move(ptr));
      return;
    }
  }
  caf::event_based_actor::enqueue(std::move(ptr), host);
}

void process_core::bounce_buffered() {
  std::unique_ptr<std::vector<caf::mailbox_element_ptr>> dropped;
  {
    spin_guard guard{buffer_lock_};
    dropped = std::move(buffered_);
  }
  if (!dropped)
    return;
  caf::detail::sync_request_bouncer bounce{caf::exit_reason::unreachable};
  for (auto& element : *dropped)
    if (element)
      bounce(*element);
}

// Every process the node tracks is a process_core.
caf::actor_addr node_access::address(const process_hook& process) {
  return static_cast<const process_core&>(process).address();
}

void process_core::begin_running() {
  // A process lives until it exits, like an Erlang process: it holds itself until on_exit.
  keepalive_ = ctrl();
  node_access::track(home(), *this);
  tracked_ = true;
  // Release what arrived during init, in order, before anything that arrives from now on.
  spin_guard guard{buffer_lock_};
  if (buffered_)
    for (auto& element : *buffered_)
      caf::event_based_actor::enqueue(std::move(element), context());
  buffered_.reset();
  running_.store(true, std::memory_order_release);
}

void process_core::end_unstarted(const exit_reason& reason) {
  // Nothing can run the process: what is sent to it waits in `buffered_`. So it exits here,
  // as CAF ends a process: links and monitors fire with init's reason (a monitor set later
  // fires at once), and its mailbox is closed. Only then may messages reach that mailbox,
  // which bounces them.
  cleanup(to_caf_error(reason), context());
  {
    spin_guard guard{buffer_lock_};
    running_.store(true, std::memory_order_release);
  }
  bounce_buffered();
}

void process_core::forget_name() {
  if (cold_ && !cold_->name.empty()) {
    node_access::unregister_name(home(), cold_->name, id());
    cold_->name.clear();
  }
}

// -- identity ----------------------------------------------------------------------------------

const std::string& process_core::registered_name() const noexcept {
  static const std::string anonymous;
  return cold_ ? cold_->name : anonymous;
}

std::string process_core::display_name() {
  return registered_name().empty() ? fmt::format("{}", pid_of_self()) : registered_name();
}

otp::node& process_core::home() noexcept {
  // Not a member: 8 bytes in every process, and the actor system already knows its node.
  return node::of(home_system());
}

otp::pid process_core::pid_of_self() {
  return otp::to_pid(ctrl());
}

process_core::cold_state& process_core::cold() {
  if (!cold_)
    cold_ = make_cold();
  return *cold_;
}

std::unique_ptr<process_core::cold_state> process_core::make_cold() const {
  return std::make_unique<cold_state>();
}

// -- running and exiting -----------------------------------------------------------------------

caf::resumable::resume_result process_core::resume(caf::execution_unit* ctx,
                                                   std::size_t max_throughput) {
  quiet_caf_logger();
  auto result = run_on_own_stack(ctx, run_message_loop, max_throughput);
  // Parked: not runnable until woken, which schedules it again (as a message does).
  return result == parked_marker ? caf::resumable::awaiting_message
                                 : static_cast<resume_result>(result);
}

caf::invoke_message_result process_core::consume(caf::mailbox_element& x) {
  if (!bounded_)
    return handle(x);
  if (drop_on_arrival(x))
    return caf::invoke_message_result::consumed;
  auto result = handle(x);
  if (result != caf::invoke_message_result::skipped)  // skipped: still queued, comes again
    note_dequeued();
  return result;
}

exit_reason process_core::exit_reason_now() {
  // CAF propagates `kill` through links as `kill`, which kills every linked process, trapping
  // or not. Erlang's links propagate `killed`, which a supervisor can trap: do as Erlang does.
  if (fail_state_ == caf::make_error(caf::exit_reason::kill))
    fail_state_ = to_caf_error(exit_reason::killed());
  return from_caf_error(fail_state_);
}

void process_core::leave_node() {
  // The name stays readable (the state's destructor, run after this, may log it); only the
  // registry lets it go.
  if (cold_ && !cold_->name.empty())
    node_access::unregister_name(home(), cold_->name, id());
  node_access::untrack(home(), *this);
}

void process_core::let_go() noexcept {
  // Safe: the scheduler holds a reference while this actor runs.
  keepalive_.reset();
}

void process_core::on_exit() {
  auto reason = exit_reason_now();
  before_leaving(reason);
  leave_node();
  after_leaving();
  let_go();
}

bool process_core::cleanup(caf::error&& reason, caf::execution_unit* host) {
  auto first = caf::event_based_actor::cleanup(std::move(reason), host);
  // Only now have the exit and down messages gone out: the node waits for this (see
  // node::await_processes).
  if (first && tracked_)
    node_access::finished(home());
  return first;
}

// -- introspection ------------------------------------------------------------------------------

process_core::probe process_core::read_probe() const noexcept {
  probe p;
  p.started = running_.load(std::memory_order_acquire);
  if (p.started && bounded_)
    p.mailbox = queued_.load(std::memory_order_relaxed);
  auto wait = wait_state_.load(std::memory_order_relaxed);
  p.waiting = wait == waiting || wait == parked;
  p.plain = !server_;
  // An atomic load of the inbox's head: blocked means empty, and nobody runs the process.
  p.idle = const_cast<process_core*>(this)->mailbox().blocked();
  p.connection = connection_.load(std::memory_order_relaxed);
  if (wait == parked)
    p.parked_bytes = parked_bytes_.load(std::memory_order_relaxed);
  return p;
}

}  // namespace otp::detail
