// gen_server's loop on the process layer: messages to callbacks, replies, timeouts, stopping.

#include "process/server_core.hpp"
#include "otp/caf.hpp"

#include "otp/detail/atoms.hpp"
#include "otp/detail/box.hpp"
#include "otp/detail/boxed_message.hpp"
#include "otp/detail/remote_dispatch.hpp"
#include "process/process_task.hpp"
#include "process/timer_message.hpp"
#include "runtime/caf_error.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/message_view.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

namespace otp::detail {

// -- construction and start-up ---------------------------------------------------------------

server_core::server_core(caf::actor_config& cfg) : process_core(cfg, true) {
  set_default_handler(
    [this](caf::scheduled_actor*, caf::message_view& msg) { return on_message(msg); });
  set_down_handler([this](caf::scheduled_actor*, caf::down_msg& msg) { on_down(msg); });
  set_exit_handler([this](caf::scheduled_actor*, caf::exit_msg& msg) { on_exit_msg(msg); });
}

server_core::~server_core() = default;

std::unique_ptr<process_core::cold_state> server_core::make_cold() const {
  return std::make_unique<server_cold>();
}

void server_core::bind(std::unique_ptr<server_callbacks> callbacks, std::string name, bool trace) {
  module_.store(&callbacks->module(), std::memory_order_relaxed);
  callbacks_ = std::move(callbacks);
  if (!name.empty())
    cold().name = std::move(name);
  trace_ = trace;
}

void server_core::started(action next) {
  bool wake = next.what() != action::kind::none;
  if (wake)
    cold().initial = std::move(next);  // before it can run: make_behavior takes it
  begin_running();
  // The process is spawned lazily and runs at its first message. init's continue and timeout
  // must not wait for one, so give it that first message now.
  if (wake)
    caf::anon_send(caf::actor_cast<caf::actor>(ctrl()), idle_atom::value, std::uint64_t{0});
}

void server_core::abandon(const exit_reason& reason) {
  forget_name();
  // What init set up and must not outlive it (a supervisor's children started so far, a
  // listener's sockets) goes now, as when a process exits; then the user's state, on the
  // starting thread.
  if (callbacks_)
    callbacks_->exiting(*this, reason);
  callbacks_.reset();
  end_unstarted(reason);
}

caf::behavior server_core::make_behavior() {
  if (auto* c = cold_if_any(); c && c->initial.what() != action::kind::none) {
    auto next = std::move(c->initial);
    c->initial = {};
    apply(next);
  }
  return system_behavior();
}

void server_core::run_task(process_task& task, std::uint32_t event) {
  guarded([&] { task.run(*this, event); });
}

bool server_core::takes_tasks() const noexcept {
  return !stopping_ && !suspended_;
}

// -- dispatch --------------------------------------------------------------------------------

void server_core::request_async(const caf::actor& dest, caf::message msg, timeout t,
                                awaited_replies::handler on_reply) {
  auto id = new_request_id(caf::message_priority::normal);
  auto deadline = t == infinity ? awaited_replies::never : now() + t;
  cold().awaited.add(id, std::move(on_reply), deadline);
  dest->enqueue(caf::make_mailbox_element(ctrl(), id, {}, std::move(msg)), context());
  if (deadline != awaited_replies::never)
    arm_reply_timer();
}

void server_core::arm_reply_timer() {
  // One timer for all of the process's deadlines, armed for the earliest: calls with a
  // timeout cost CAF's clock (a lock and a wake of its thread) once per earlier deadline, not
  // once per call. A timer that fires early for a call answered meanwhile just re-arms.
  auto& c = cold();
  auto next = c.awaited.next_deadline();
  if (next == awaited_replies::never || next >= c.reply_timer_at)
    return;
  c.reply_timer_at = next;
  auto in = std::max(next - now(), caf::actor_clock::duration_type::zero());
  delayed_send(caf::actor_cast<caf::actor>(ctrl()), in, reply_deadline_atom::value);
}

void server_core::on_reply_deadline() {
  auto& c = cold();
  auto t = now();
  if (c.reply_timer_at <= t)
    c.reply_timer_at = awaited_replies::never;  // this is the armed timer (or a later one)
  for (auto& on_reply : c.awaited.take_expired(t)) {
    auto timed_out = to_ref(caf::make_message(caf::make_error(caf::sec::request_timeout)));
    guarded([&] { on_reply(timed_out); });
    if (stopping_)
      return;
  }
  arm_reply_timer();
}

void server_core::consume_awaited_reply(caf::mailbox_element& x,
                                        awaited_replies::handler& on_reply) {
  current_element_ = &x;
  auto reply = to_ref(x.move_content_to_message());
  guarded([&] { on_reply(reply); });
  current_element_ = nullptr;
}

caf::invoke_message_result server_core::handle(caf::mailbox_element& x) {
  // Other responses (a timeout after its reply, CAF's own requests) take CAF's path below.
  auto* c = cold_if_any();
  if (x.mid.is_response() && c && !c->awaited.empty()) {
    if (suspended_) {  // like any other message, after sys:resume
      if (c->awaited.contains(x.mid))
        return caf::invoke_message_result::skipped;
    } else if (auto on_reply = c->awaited.take(x.mid)) {
      consume_awaited_reply(x, on_reply);
      return caf::invoke_message_result::consumed;
    }
  }
  // The fast path for calls and casts: no behaviour matching, no default-handler indirection,
  // the reply sent straight back. Everything else takes CAF's own path.
  auto& xs = x.content();
  if (!is_request_envelope(xs) || x.mid.is_response() || !x.stages.empty() || suspended_ || holding_
      || deferring_stop_ || stopping_)
    return caf::event_based_actor::consume(x);
  current_element_ = &x;
  auto result = dispatch_request(xs);
  if (x.mid.is_request() && x.sender && result.what != handled::kind::delegated)
    send_reply(x, result);
  current_element_ = nullptr;
  return caf::invoke_message_result::consumed;
}

void server_core::send_reply(caf::mailbox_element& x, handled& result) {
  x.sender->enqueue(ctrl(), x.mid.response_id(), to_message(std::move(result.reply)), context());
}

caf::result<caf::message> server_core::to_result(handled&& result) {
  if (result.what == handled::kind::delegated)
    return caf::delegated<caf::message>{};
  return to_message(std::move(result.reply));
}

int server_core::remote_envelope(const caf::type_erased_tuple& xs) noexcept {
  if (xs.size() != 2 || !xs.match_element<caf::atom_value>(0))
    return 0;
  auto tag = xs.get_as<caf::atom_value>(0);
  if (tag == remote_call_atom::value)
    return 1;
  if (tag == remote_cast_atom::value)
    return 2;
  return 0;
}

bool server_core::is_request_envelope(const caf::type_erased_tuple& xs) noexcept {
  return xs.size() == 2 && (xs.match_element<dispatch_ref>(0) || remote_envelope(xs) != 0);
}

const dispatch* server_core::find_dispatch(const caf::type_erased_tuple& xs, bool& is_call) {
  if (xs.match_element<dispatch_ref>(0)) {
    const auto* d = xs.get_as<dispatch_ref>(0).d;
    is_call = d->call;
    return callbacks_ && d->tag == callbacks_->tag() ? d : nullptr;
  }
  is_call = remote_envelope(xs) == 1;
  return callbacks_ ? remote_dispatch_for(callbacks_->tag(), xs, is_call) : nullptr;
}

handled server_core::dispatch_request(caf::type_erased_tuple& xs) {
  timeout_armed_ = false;
  if (trace_)
    trace_incoming();
  bool is_call = false;
  const auto* found = find_dispatch(xs, is_call);
  if (!found)  // out of line: this frame is under every wait of a callback
    return [ this, is_call ]() __attribute__((noinline))->handled {
      if (!is_call) {
        unhandled(fmt::format("cast for another server type: {}", describe_current()));
        return {handled::kind::done};
      }
      return {handled::kind::reply,
              to_ref(caf::make_message(caf::make_error(caf::sec::invalid_argument, "badarg")))};
    }
  ();
  const auto& d = *found;
  reply_deferred_ = false;
  auto result = d.invoke(*this, xs.get_mutable(1));  // catches the callback's exceptions
  if (stopping_ && is_call && result.what == handled::kind::delegated && !reply_deferred_)
    return {handled::kind::reply, to_ref(caf::make_message(fail_state()))};
  return result;
}

caf::result<caf::message> server_core::on_message(caf::message_view& msg) {
  if (stopping_)
    return caf::message{};
  if (suspended_)
    return caf::skip;
  auto& xs = msg.content();
  if (xs.size() == 1 && xs.match_element<task_ref>(0)) {
    const auto& ref = xs.get_as<task_ref>(0);
    if (auto task = ref.task.lock())
      run_task(*task, ref.event);
    return caf::message{};
  }
  if (is_request_envelope(xs)) {
    if (holding_ || deferring_stop_)
      return caf::skip;
    return to_result(dispatch_request(xs));
  }
  if (xs.size() == 1 && xs.match_element<caf::atom_value>(0)
      && xs.get_as<caf::atom_value>(0) == reply_deadline_atom::value) {
    on_reply_deadline();  // the machinery's timer: no info, the inactivity timeout stays armed
    return caf::message{};
  }
  timeout_armed_ = false;
  if (trace_)
    trace_incoming();
  if (is_timer_message(xs)) {
    auto* payload = fire_timer(xs);
    if (!payload)
      return caf::message{};  // cancelled
    handle_info_with(
      [&] {
        info_view view{&payload->content()};
        return callbacks_->handle_info(*this, view);
      },
      [this] { return describe_current(); });
    return caf::message{};
  }
  handle_info_with(
    [&] {
      info_view view{&xs};
      return callbacks_->handle_info(*this, view);
    },
    [this] { return describe_current(); });
  return caf::message{};
}

template <class Call, class Describe>
void server_core::handle_info_with(Call&& call, Describe&& describe) {
  bump(infos_);
  guarded([&] {
    if (!call())
      unhandled(describe());
  });
}

void server_core::deliver_down(down& d) {
  handle_info_with([&] { return callbacks_->handle_down(*this, d); },
                   [&] { return fmt::format("{}", d); });
}

void server_core::deliver_exit(exit_signal& e) {
  handle_info_with([&] { return callbacks_->handle_exit(*this, e); },
                   [&] { return fmt::format("{}", e); });
}

void server_core::on_down(caf::down_msg& msg) {
  if (stopping_)
    return;
  down d{otp::to_pid(msg.source), from_caf_error(msg.reason)};
  if (suspended_) {
    cold().deferred.push_back(caf::make_message(box<down>{std::move(d)}));
    return;
  }
  timeout_armed_ = false;
  deliver_down(d);
}

void server_core::on_exit_msg(caf::exit_msg& msg) {
  if (stopping_)
    return;
  auto reason = from_caf_error(msg.reason);
  if (!trap_exit()) {
    // Not trapping: a normal exit signal is ignored, any other reason kills (no terminate),
    // exactly as for an Erlang process.
    if (!reason.is_normal())
      quit(msg.reason);
    return;
  }
  forget_trapped_exit();
  // A process started outside any process has the outside world as its parent: an exit signal
  // sent from outside (no sender) is its parent's.
  if (msg.source == parent()) {
    // OTP: a trapping gen_server that gets an exit signal from its parent terminates.
    stop_with(reason);
    return;
  }
  if (deferring_stop_) {
    // Stopping already: exit signals of the children being stopped are expected.
    return;
  }
  exit_signal e{otp::to_pid(msg.source), std::move(reason)};
  if (suspended_) {
    cold().deferred.push_back(caf::make_message(box<exit_signal>{std::move(e)}));
    return;
  }
  timeout_armed_ = false;
  deliver_exit(e);
}

void server_core::replay_deferred() {
  auto* c = cold_if_any();
  if (!c)
    return;
  auto pending = std::move(c->deferred);
  c->deferred.clear();
  for (auto& m : pending) {
    if (stopping_)
      return;
    if (m.match_element<box<down>>(0))
      deliver_down(m.get_mutable_as<box<down>>(0).value);
    else
      deliver_exit(m.get_mutable_as<box<exit_signal>>(0).value);
  }
}

// -- results, timeouts and stopping -----------------------------------------------------------

void server_core::apply(action& next) {
  // `{continue, C}` runs before the next message; it may itself continue.
  while (!stopping_ && next.what() == action::kind::continue_with) {
    action follow_up;
    if (!guarded([&] {
          follow_up = std::move(next);
          callbacks_->handle_continue(*this, follow_up);
        }))
      return;
    next = std::move(follow_up);
  }
  if (!stopping_ && next.what() == action::kind::after && next.after_timeout() != infinity) {
    timeout_armed_ = true;
    if (++timeout_generation_ == 0)  // 0 means "none"
      ++timeout_generation_;
    delayed_send(caf::actor_cast<caf::actor>(ctrl()), next.after_timeout(), idle_atom::value,
                 std::uint64_t{timeout_generation_});
  }
}

void server_core::on_idle_timeout(std::uint64_t generation) {
  if (generation == 0 || !timeout_armed_ || generation != timeout_generation_ || stopping_)
    return;
  timeout_armed_ = false;
  handle_info_with([this] { return callbacks_->handle_timeout(*this); },
                   [] { return std::string{"timeout"}; });
}

void server_core::stop_with(const exit_reason& reason) {
  if (stopping_ || deferring_stop_)
    return;
  deferring_stop_ = true;
  bool deferred = false;
  try {
    deferred = callbacks_ && callbacks_->defer_stop(*this, reason);
  } catch (const std::exception& e) {
    finish_stop(exit_reason::exception(e.what()));
    return;
  }
  if (!deferred && !stopping_)
    finish_stop(reason);
}

void server_core::complete_stop(const exit_reason& reason) {
  if (!stopping_)
    finish_stop(reason);
}

void server_core::hold_requests(bool on) {
  if (holding_ == on)
    return;
  holding_ = on;
  if (!on)
    become(system_behavior());  // retry the calls skipped meanwhile
}

void server_core::finish_stop(const exit_reason& reason) {
  stopping_ = true;
  deferring_stop_ = false;
  auto final_reason = reason;
  try {
    callbacks_->terminate(reason);
  } catch (const process_exit&) {
    throw;  // killed while terminate waited (a supervisor's shutdown timeout, say)
  } catch (const exit_request& e) {
    final_reason = e.reason;
  } catch (const std::exception& e) {
    // As in OTP: a crash in terminate replaces the reason.
    final_reason = exit_reason::exception(e.what());
  } catch (...) {
    final_reason = exit_reason::exception("unknown");
  }
  if (!final_reason.is_clean())
    report_crash(final_reason);
  quit(to_caf_error(final_reason));
}

void server_core::crash(const exit_reason& reason) {
  stop_with(reason);
}

void pending_reply::deliver(caf::message msg) {
  process_core* self = process_core::current();
  if (self == owner || !promise.stages().empty()) {
    promise.deliver(std::move(msg));
    return;
  }
  if (auto dest = promise.source())
    dest->enqueue(owner_ref, promise.id().response_id(), std::move(msg),
                  self ? self->context() : nullptr);
}

bool claim_reply(pending_reply& slot) noexcept {
  return slot.claim();
}

void deliver_reply(pending_reply& slot, message_ref reply) {
  slot.deliver(to_message(std::move(reply)));
}

bool reply_pending(const pending_reply& slot) noexcept {
  return !slot.done.load();
}

// -- what the code generated for a user's server asks of it (server_ops.hpp) ------------------

server_core& server_of(process_core& process) noexcept {
  return static_cast<server_core&>(process);
}

server_callbacks& callbacks_of(server_core& core) noexcept {
  return *core.callbacks();
}

void count_call(server_core& core) noexcept {
  core.count_call();
}

void count_cast(server_core& core) noexcept {
  core.count_cast();
}

bool tracing(const server_core& core) noexcept {
  return core.tracing();
}

std::shared_ptr<pending_reply> make_pending_reply(server_core& core) {
  return core.make_pending_reply();
}

void apply(server_core& core, action& next) {
  core.apply(next);
}

void stop_with(server_core& core, const exit_reason& reason) {
  core.stop_with(reason);
}

void trace_reply(server_core& core, const std::string& reply) {
  core.trace_reply(reply);
}

void trace_new_state(server_core& core) {
  core.trace_new_state();
}

void crash_on(server_core& core, const exit_request& e) {
  core.crash(e.reason);
}

void crash_on(server_core& core, const std::exception& e) {
  core.crash(exit_reason::exception(e.what()));
}

void crash_on_unknown(server_core& core) {
  core.crash(exit_reason::exception("unknown"));
}

std::shared_ptr<pending_reply> server_core::make_pending_reply() {
  reply_deferred_ = true;
  auto p = std::make_shared<pending_reply>();
  p->promise = make_response_promise();
  p->owner = this;
  p->owner_ref = ctrl();
  // Drop the replies already given before the list doubles, so it stays as long as the
  // number of callers actually waiting.
  auto& pending = cold().pending;
  if (pending.size() >= 16 && pending.size() == pending.capacity())
    std::erase_if(pending, [](const auto& x) { return x->done.load(); });
  pending.push_back(p);
  return p;
}

void server_core::before_leaving(const exit_reason& reason) {
  if (callbacks_)
    callbacks_->exiting(*this, reason);
  if (auto* c = cold_if_any()) {
    for (auto& p : c->pending)
      if (p->claim())
        p->deliver(caf::make_message(to_caf_error(reason)));
    c->pending.clear();
  }
}

void server_core::after_leaving() {
  // Destroy the user's state on its own thread, after terminate.
  callbacks_.reset();
}

process_core::probe server_core::read_probe() const noexcept {
  auto p = process_core::read_probe();
  p.handled = calls_.load(std::memory_order_relaxed) + casts_.load(std::memory_order_relaxed)
              + infos_.load(std::memory_order_relaxed);
  if (p.started)
    p.supervisor = supervisor_;  // set in init, before the process was let run
  p.suspended = suspended_.load(std::memory_order_relaxed);
  if (const auto* m = module_.load(std::memory_order_relaxed)) {
    p.module = m->type;
    p.state_bytes = static_cast<std::uint32_t>(m->state_bytes);
  }
  return p;
}

}  // namespace otp::detail
