#include "otp/detail/server_core.hpp"

#include "otp/detail/atoms.hpp"
#include "otp/detail/box.hpp"
#include "otp/detail/caf_error.hpp"
#include "otp/detail/node_access.hpp"
#include "otp/detail/process_task.hpp"
#include "otp/detail/quiet_caf_logger.hpp"
#include "otp/detail/send_refusal.hpp"
#include "otp/detail/timer_state.hpp"
#include "otp/detail/type_name.hpp"
#include "otp/logger.hpp"
#include "otp/node.hpp"
#include "otp/sys.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/detail/sync_request_bouncer.hpp>
#include <caf/exit_reason.hpp>
#include <caf/message_view.hpp>

#include <boost/context/fiber.hpp>
#include <boost/context/preallocated.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <stdexcept>

#include "runtime/spin_guard.hpp"
#include "runtime/stack_pool.hpp"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define OTP_ASAN_FIBERS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/common_interface_defs.h>
#define OTP_ASAN_FIBERS 1
#endif
#endif

namespace otp::detail {

namespace {

/// What a thread runs now: the current process, whose stack it is on, and that stack's frame.
struct thread_state {
  server_core* current = nullptr;
  server_core* stack_owner = nullptr;  // whose stack runs on this thread
  server_core::fiber_frame* running_frame = nullptr;
};

thread_local thread_state this_thread;

// A process parked on one thread may go on on another. The compiler may keep the address of
// a thread-local in a register across a call it cannot see into — such as the switch of
// stacks — so code on a process's stack reaches the thread's state only through this, anew
// after every switch. One accessor for all three: a turn reaches them twice, not seven times.
// Out of line is not enough: a function that only returns a thread-local's address looks
// `const` to the optimiser (GCC infers it), which then merges the calls on both sides of the
// switch, and the resumed turn writes the state of the thread it left. The empty asm is an
// effect the optimiser cannot see through.
[[gnu::noinline]] thread_state& thread_now() noexcept {
  auto* state = &this_thread;
  asm volatile("" : "+r"(state));
  return *state;
}
server_core* get_current() noexcept {
  return thread_now().current;
}
void set_current(server_core* p) noexcept {
  thread_now().current = p;
}
server_core* get_stack_owner() noexcept {
  return thread_now().stack_owner;
}

enum wait_state : std::uint8_t { idle, waiting, parked, woken };

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

namespace ctx = boost::context;

/// What a process's stack keeps about itself while it runs or is parked: it lives on that
/// stack, in `run_on_own_stack`'s fiber function.
struct server_core::fiber_frame {
  ctx::fiber host;                  // on the stack: the thread's side, to switch back to
  ctx::fiber parked;                // while parked: this stack, kept for whoever wakes it
  server_core* in_scope = nullptr;  // the current process at the park (a child in its init)
  bool has_parked = false;          // this turn waited at least once
  bool turn_over = false;           // the turn ended; the stack waits for the next one
  bool quit = false;                // set by a host that lets the stack go: its fiber ends
  std::uint8_t* result = nullptr;   // where the turn's result goes: the current host's
  // The turn to run: set by the host before it resumes the stack.
  server_core* self = nullptr;
  stack_body body = nullptr;
  std::uintptr_t arg = 0;
#ifdef OTP_ASAN_FIBERS
  ctx::stack_context stack;  // this stack's bounds
  void* fake_stack = nullptr;
  const void* host_bottom = nullptr;
  std::size_t host_size = 0;
#endif
};

/// The reply a call on the process's stack waits for. The process arms and disarms it; the
/// thread that delivers the reply fills it, under the lock, only while it is armed.
struct server_core::call_slot {
  std::atomic_flag lock = ATOMIC_FLAG_INIT;
  bool armed = false;
  caf::message_id expected;
  std::optional<caf::message> reply;
};

/// A turn parked in a wait: its frame on the stack, and where the stack's frames are now.
struct server_core::parked_state {
  parked_turn turn;
  fiber_frame* frame = nullptr;
};

namespace {

server_core::fiber_frame* get_running_frame() noexcept {
  return thread_now().running_frame;
}
void set_running_frame(server_core::fiber_frame* f) noexcept {
  thread_now().running_frame = f;
}

#ifdef OTP_ASAN_FIBERS
// AddressSanitizer must know which stack it is on (frames, exceptions, use-after-return).
void* asan_enter_stack(const ctx::stack_context& to) {
  void* fake = nullptr;
  __sanitizer_start_switch_fiber(&fake, static_cast<char*>(to.sp) - to.size, to.size);
  return fake;
}
void asan_back_on_host(void* fake) {
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
}
#endif

}  // namespace

// -- construction and start-up ---------------------------------------------------------------

server_core::server_core(caf::actor_config& cfg) : caf::event_based_actor(cfg) {
  set_exception_handler(exception_to_exit);
  set_default_handler(
    [this](caf::scheduled_actor*, caf::message_view& msg) { return on_message(msg); });
  set_down_handler([this](caf::scheduled_actor*, caf::down_msg& msg) { on_down(msg); });
  set_exit_handler([this](caf::scheduled_actor*, caf::exit_msg& msg) { on_exit_msg(msg); });
}

server_core::~server_core() {
  bounce_buffered();
  std::unique_ptr<call_slot> slot{call_slot_.load(std::memory_order_acquire)};
  if (parked_)  // a process gone while it waited
    stack_pool::abandon(parked_->turn);
  // An exit signal noted for a wait that never came to it.
  std::unique_ptr<exit_reason> never_delivered{pending_exit_.exchange(nullptr)};
}

namespace {}  // namespace

void server_core::enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit* host) {
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

// -- a bounded mailbox -------------------------------------------------------------------------

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

void server_core::limit_mailbox(const mailbox_limit& limit) {
  if (limit.max == 0)
    return;
  if (limit.max > std::numeric_limits<std::uint32_t>::max() / 2)
    throw std::invalid_argument("mailbox_limit: max above 2^31");
  if (limit.high_water > limit.max)
    throw std::invalid_argument("mailbox_limit: high_water above max");
  cold().limit = limit;
  bounded_ = true;
}

std::size_t server_core::high_water() const noexcept {
  const auto& limit = cold_->limit;
  return limit.high_water != 0 ? limit.high_water : std::max<std::size_t>(1, limit.max * 3 / 4);
}

bool server_core::admit(caf::mailbox_element& x, caf::execution_unit* host) {
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

bool server_core::drop_on_arrival(caf::mailbox_element& x) {
  auto& c = *cold_;
  if (c.overflowed.load(std::memory_order_acquire) && !stopping_) {
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

void server_core::note_dequeued() noexcept {
  auto n = queued_.fetch_sub(1, std::memory_order_acq_rel) - 1;
  auto& c = *cold_;
  if (n < high_water() / 2 && c.high_water_logged.load(std::memory_order_relaxed)) {
    c.high_water_logged.store(false, std::memory_order_relaxed);
    c.overflow_logged.store(false, std::memory_order_relaxed);
  }
}

void server_core::refuse(caf::mailbox_element& x, caf::execution_unit* host) {
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

void server_core::bounce_buffered() {
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

void server_core::bind(std::unique_ptr<server_callbacks> callbacks, std::string name, bool trace) {
  module_.store(&callbacks->module(), std::memory_order_relaxed);
  callbacks_ = std::move(callbacks);
  if (!name.empty())
    cold().name = std::move(name);
  trace_ = trace;
}

// Every process the node tracks is a server_core (a plain process is one too).
caf::actor_addr node_access::address(const process_hook& process) {
  return static_cast<const server_core&>(process).address();
}

void server_core::started(action next) {
  // A process lives until it exits, like an Erlang process: it holds itself until on_exit.
  keepalive_ = ctrl();
  node_access::track(home(), *this);
  tracked_ = true;
  bool wake = next.what() != action::kind::none;
  if (wake)
    cold().initial = std::move(next);
  {
    // Release what arrived during init, in order, before anything that arrives from now on.
    spin_guard guard{buffer_lock_};
    if (buffered_)
      for (auto& element : *buffered_)
        caf::event_based_actor::enqueue(std::move(element), context());
    buffered_.reset();
    running_.store(true, std::memory_order_release);
  }
  // The process is spawned lazily and runs at its first message. init's continue and timeout
  // must not wait for one, so give it that first message now.
  if (wake)
    caf::anon_send(caf::actor_cast<caf::actor>(ctrl()), idle_atom::value, std::uint64_t{0});
}

void server_core::abandon(const exit_reason& reason) {
  if (cold_ && !cold_->name.empty()) {
    node_access::unregister_name(home(), cold_->name, id());
    cold_->name.clear();
  }
  // What init set up and must not outlive it (a supervisor's children started so far, a
  // listener's sockets) goes now, as when a process exits; then the user's state, on the
  // starting thread.
  if (callbacks_)
    callbacks_->exiting(*this, reason);
  callbacks_.reset();
  // The process never ran, and nothing can run it: what is sent to it waits in `buffered_`.
  // So it exits here, as CAF ends a process: links and monitors fire with init's reason (a
  // monitor set later fires at once), and its mailbox is closed. Only then may messages reach
  // that mailbox, which bounces them.
  cleanup(to_caf_error(reason), context());
  {
    spin_guard guard{buffer_lock_};
    running_.store(true, std::memory_order_release);
  }
  bounce_buffered();
}

caf::behavior server_core::make_behavior() {
  if (cold_ && cold_->initial.what() != action::kind::none) {
    auto next = std::move(cold_->initial);
    cold_->initial = {};
    apply(next);
  }
  return system_behavior();
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

const std::string& server_core::registered_name() const noexcept {
  static const std::string anonymous;
  return cold_ ? cold_->name : anonymous;
}

server_core::cold_state& server_core::cold() {
  if (!cold_)
    cold_ = std::make_unique<cold_state>();
  return *cold_;
}

// -- the current process ---------------------------------------------------------------------

otp::node& server_core::home() noexcept {
  // Not a member: 8 bytes in every process, and the actor system already knows its node.
  return node::of(home_system());
}

server_core* server_core::current() noexcept {
  return get_current();
}

waiting_process* waiting_process::current() noexcept {
  return get_stack_owner();
}

server_core* server_core::stack_owner() noexcept {
  return get_stack_owner();
}

// -- a call made on the process's stack ------------------------------------------------------

caf::message_id server_core::arm_call(std::uint64_t request_number, bool urgent) {
  auto* slot = call_slot_.load(std::memory_order_relaxed);  // only this process makes it
  if (slot == nullptr) {
    slot = std::make_unique<call_slot>().release();  // owned by call_slot_ from here
    call_slot_.store(slot, std::memory_order_release);
  }
  auto mid = caf::make_message_id<caf::message_priority::normal>(
    request_number & caf::message_id::request_id_mask);
  if (urgent)  // taken before the messages queued already; its response is urgent too
    mid = mid.with_high_priority();
  spin_guard guard{slot->lock};
  slot->armed = true;
  slot->expected = mid.response_id();
  slot->reply.reset();
  return mid;
}

std::optional<caf::message> server_core::disarm_call() {
  auto* slot = call_slot_.load(std::memory_order_relaxed);
  spin_guard guard{slot->lock};
  slot->armed = false;
  return std::exchange(slot->reply, std::nullopt);
}

bool server_core::take_call_reply(caf::mailbox_element& x) {
  auto* slot = call_slot_.load(std::memory_order_acquire);
  if (slot == nullptr)
    return false;
  spin_guard guard{slot->lock};
  if (!slot->armed || x.mid != slot->expected)
    return false;  // not the reply awaited now: a late one is dropped by `consume`
  slot->armed = false;
  slot->reply = x.move_content_to_message();
  // Under the lock: the process disarms under it before it leaves its wait, so this never
  // wakes a later wait.
  wake();
  return true;
}

server_core::scope::scope(server_core* self) noexcept : previous_(get_current()) {
  set_current(self);
}

server_core::scope::~scope() {
  set_current(previous_);
}

caf::resumable::resume_result server_core::resume(caf::execution_unit* ctx,
                                                  std::size_t max_throughput) {
  quiet_caf_logger();
  auto turn = [](server_core& self, std::uintptr_t max) -> std::uint8_t {
    return self.caf::event_based_actor::resume(self.context(), max);
  };
  auto result = run_on_own_stack(ctx, turn, max_throughput);
  // Parked: not runnable until woken, which schedules it again (as a message does).
  return result == parked_marker ? caf::resumable::awaiting_message
                                 : static_cast<resume_result>(result);
}

// -- the process's own stack ------------------------------------------------------------------

namespace {

/// The fiber's stack allocator: the stack is the pool's, which takes it back itself.
struct pool_stack {
  ctx::stack_context allocate() { throw std::logic_error("a process stack is preallocated"); }
  void deallocate(ctx::stack_context&) noexcept {}
};

/// Where a suspended fiber's frames begin: its saved context lies at the top of its frames.
const std::byte* lowest_frame(const ctx::fiber& f) noexcept {
  static_assert(sizeof(ctx::fiber) == sizeof(void*), "a fiber is its context pointer");
  const void* sp = nullptr;
  std::memcpy(&sp, static_cast<const void*>(&f), sizeof sp);
  return static_cast<const std::byte*>(sp);
}

}  // namespace

namespace {

using turn_body = std::uint8_t (*)(server_core&, std::uintptr_t);

/// The loop a stack's fiber runs: one turn after another, until its host lets it go.
void run_turns(server_core::fiber_frame& own) {
#ifdef OTP_ASAN_FIBERS
  __sanitizer_finish_switch_fiber(nullptr, &own.host_bottom, &own.host_size);
#endif
  for (;;) {
    set_running_frame(&own);
    auto done = own.body(*own.self, own.arg);
    *own.result = done;  // the current host's, not a member: see run_on_own_stack
    own.turn_over = true;
#ifdef OTP_ASAN_FIBERS
    __sanitizer_start_switch_fiber(&own.fake_stack, own.host_bottom, own.host_size);
#endif
    own.host = std::move(own.host).resume();  // the next turn, or the end
#ifdef OTP_ASAN_FIBERS
    __sanitizer_finish_switch_fiber(own.fake_stack, &own.host_bottom, &own.host_size);
#endif
    if (own.quit)
      break;
  }
#ifdef OTP_ASAN_FIBERS
  __sanitizer_start_switch_fiber(nullptr, own.host_bottom, own.host_size);
#endif
}

/// A fresh stack's first turn: set by the thread that makes the stack's fiber, read by the
/// fiber as it starts, on that thread, before anything can switch.
struct turn_launch {
  server_core* self = nullptr;
  turn_body body = nullptr;
  std::uintptr_t arg = 0;
  std::uint8_t* result = nullptr;
};
thread_local turn_launch next_launch;

/// A stack's fiber function. It holds the stack alone, so that every fiber made on a stack
/// gets the same record at its top: an eviction leaves the record where it is
/// (stack_pool::set_frames_top) instead of copying it with the frames of each parked turn.
struct turn_entry {
  stack_home* home;
  ctx::fiber operator()(ctx::fiber&& host) const {
    // Read field by field: a copy of the launch would stay in this frame, under every wait.
    server_core::fiber_frame own;
    own.host = std::move(host);
    own.self = next_launch.self;
    own.body = next_launch.body;
    own.arg = next_launch.arg;
    own.result = next_launch.result;
#ifdef OTP_ASAN_FIBERS
    own.stack = stack_pool::bounds(*home);
#endif
    run_turns(own);
    return std::move(own.host);
  }
};

ctx::fiber make_turn_stack(stack_home& home, server_core* self, turn_body body, std::uintptr_t arg,
                           std::uint8_t* result) {
  auto bounds = stack_pool::bounds(home);
  // Boost.Context (fcontext) puts the fiber's record at the 256-byte boundary below the top
  // minus its size, and starts the frames 64 bytes below the record. Above that lies only what
  // is the same for every fiber on this stack.
  using record = ctx::detail::fiber_record<ctx::fiber, pool_stack, turn_entry>;
  auto record_at =
    (reinterpret_cast<std::uintptr_t>(bounds.sp) - sizeof(record)) & ~std::uintptr_t{0xff};
  stack_pool::set_frames_top(home, reinterpret_cast<const std::byte*>(record_at - 64));
  next_launch = {self, body, arg, result};
  return ctx::fiber{std::allocator_arg, ctx::preallocated{bounds.sp, bounds.size, bounds},
                    pool_stack{}, turn_entry{&home}};
}

/// A stack and its fiber, suspended between two turns (no fiber yet for a stack fresh from
/// the pool).
struct turn_stack {
  ctx::fiber fiber;
  server_core::fiber_frame* frame = nullptr;
  stack_home* home = nullptr;

  turn_stack() = default;
  turn_stack(ctx::fiber f, server_core::fiber_frame* fr, stack_home* h) noexcept
    : fiber(std::move(f)), frame(fr), home(h) {}
  turn_stack(turn_stack&& other) noexcept
    : fiber(std::move(other.fiber)),
      frame(std::exchange(other.frame, nullptr)),
      home(std::exchange(other.home, nullptr)) {}
  turn_stack& operator=(turn_stack&& other) noexcept {
    std::swap(fiber, other.fiber);
    std::swap(frame, other.frame);
    std::swap(home, other.home);
    return *this;
  }
  ~turn_stack() { let_go(); }

  /// Ends the fiber's loop and gives the stack back to the pool.
  void let_go() noexcept {
    if (home == nullptr)
      return;
    if (frame != nullptr) {
      frame->quit = true;
#ifdef OTP_ASAN_FIBERS
      auto* fake = asan_enter_stack(frame->stack);
#endif
      fiber = std::move(fiber).resume();  // its loop ends, and so does the fiber
#ifdef OTP_ASAN_FIBERS
      asan_back_on_host(fake);
#endif
    }
    stack_pool::release(*std::exchange(home, nullptr));
    frame = nullptr;
  }
};

/// The stack whose turn ended last on this thread, kept for its next turn: making a fiber per
/// turn cost more than the switches themselves.
thread_local turn_stack spare;

/// A stack for a new turn: the thread's spare, or a fresh one from the pool.
turn_stack take_turn_stack() {
  if (spare.home != nullptr)
    return std::move(spare);
  return {ctx::fiber{}, nullptr, &stack_pool::acquire()};
}

/// The stack of a turn that ended. The thread keeps one, unless frames moved off it must come
/// back (the pool says so): a kept stack runs no other thread's turn, so it must keep nobody
/// waiting.
void keep_turn_stack(ctx::fiber&& fiber, server_core::fiber_frame* frame, stack_home& home) {
  turn_stack done{std::move(fiber), frame, &home};
  if (spare.home == nullptr && stack_pool::keep(home))
    spare = std::move(done);
}  // `done`, unless kept, lets its stack go here

}  // namespace

void server_core::reschedule_parked(void* owner) {
  // Its stack is free now; the reference taken when it began to wait for it goes.
  auto* self = static_cast<server_core*>(owner);
  self->schedule_woken();
  caf::intrusive_ptr_release(self->ctrl());
}

std::uint8_t server_core::run_on_own_stack(caf::execution_unit* ctx, stack_body body,
                                           std::uintptr_t arg) {
  // Once `body` has given the process back (CAF's resume blocked its mailbox, say), another
  // thread may run it at once: from then on neither side touches the process's members.
  // The result travels through the host's own `result`, and the stack's frame stays valid
  // for whoever finds it in `parked_`.
  std::uint8_t result = parked_marker;
  context(ctx);  // a parked process goes on where it stopped, maybe on another thread
  ctx::fiber stack;
  stack_home* home = nullptr;
  server_core* in_scope = this;
  fiber_frame* frame = nullptr;
  if (parked_) {  // woken after a wait
    // Held while it may wait for its stack: whoever frees the stack reschedules it.
    caf::intrusive_ptr_add_ref(ctrl());
    if (!stack_pool::reclaim(parked_->turn))
      return parked_marker;  // its stack runs another turn
    caf::intrusive_ptr_release(ctrl());
    auto state = std::move(parked_);
    home = state->turn.home;
    frame = state->frame;
    stack = std::move(frame->parked);
    in_scope = frame->in_scope;
    frame->result = &result;
  } else {
    auto fresh = take_turn_stack();
    home = std::exchange(fresh.home, nullptr);  // this turn's now
    frame = std::exchange(fresh.frame, nullptr);
    stack = std::move(fresh.fiber);
    if (frame != nullptr) {  // a stack whose last turn ended: this turn runs in its loop
      frame->self = this;
      frame->body = body;
      frame->arg = arg;
      frame->result = &result;
      frame->has_parked = false;
      frame->turn_over = false;
    } else {
      stack = make_turn_stack(*home, this, body, arg, &result);
    }
  }
#ifdef OTP_ASAN_FIBERS
  auto bounds = stack_pool::bounds(*home);
#endif
  auto outer = thread_now();
  for (;;) {
    thread_now() = {in_scope, this, frame};  // a null frame for a new stack: it sets its own
#ifdef OTP_ASAN_FIBERS
    auto* fake = asan_enter_stack(bounds);
#endif
    stack = std::move(stack).resume();
#ifdef OTP_ASAN_FIBERS
    asan_back_on_host(fake);
#endif
    auto& now_here = thread_now();  // maybe another thread's than before the switch
    frame = now_here.running_frame;
    now_here = outer;
    if (frame->turn_over) {  // the turn ended; its stack may run the thread's next turn
      keep_turn_stack(std::move(stack), frame, *home);
      return result;
    }
    // Parked in a wait (the process is still ours). Once the state says so, a wake may
    // resume it on any thread; once the pool knows, its frames may move to the heap.
    auto state = std::make_unique<parked_state>();
    state->turn.home = home;
    state->turn.sp = lowest_frame(stack);
    parked_bytes_.store(static_cast<std::uint32_t>(stack_pool::frames_top(*home) - state->turn.sp),
                        std::memory_order_relaxed);
    state->turn.reschedule = &server_core::reschedule_parked;
    state->turn.owner = this;
    state->frame = frame;
    frame->parked = std::move(stack);
    auto* turn = &state->turn;  // valid until the pool knows it parked: see reclaim
    parked_ = std::move(state);
    auto expected = static_cast<std::uint8_t>(waiting);
    if (wait_state_.compare_exchange_strong(expected, parked, std::memory_order_acq_rel)) {
      stack_pool::park(*turn);
      return parked_marker;
    }
    // Woken before it even parked: go on at once.
    parked_.reset();
    stack = std::move(frame->parked);
    in_scope = frame->in_scope;
  }
}

void server_core::prepare_wait() noexcept {
  wait_state_.store(waiting, std::memory_order_release);
}

void server_core::suspend(timeout t) {
  throw_if_killed();
  if (t != infinity && t.count() <= 0) {
    wait_state_.store(idle, std::memory_order_release);
    return;
  }
  if (t != infinity)
    arm_wait_deadline(now() + t);
  if (wait_state_.load(std::memory_order_acquire) != woken) {
    auto* frame = get_running_frame();
    frame->in_scope = get_current();
    frame->has_parked = true;
#ifdef OTP_ASAN_FIBERS
    __sanitizer_start_switch_fiber(&frame->fake_stack, frame->host_bottom, frame->host_size);
#endif
    frame->host = std::move(frame->host).resume();
#ifdef OTP_ASAN_FIBERS
    __sanitizer_finish_switch_fiber(frame->fake_stack, &frame->host_bottom, &frame->host_size);
#endif
  }
  if (t != infinity) {
    spin_guard guard{wait_lock_};
    cold_->wait_deadline = {};
  }
  wait_state_.store(idle, std::memory_order_release);
  throw_if_killed();
}

void server_core::wake() noexcept {
  auto state = wait_state_.load(std::memory_order_acquire);
  while (state == waiting || state == parked) {
    if (wait_state_.compare_exchange_weak(state, woken, std::memory_order_acq_rel)) {
      if (state == parked)  // nobody runs it
        schedule_woken();
      return;
    }
  }
}

void server_core::schedule_woken() {
  // As a message to an idle actor does.
  caf::intrusive_ptr_add_ref(ctrl());
  home_system().scheduler().enqueue(this);
}

bool server_core::take_parked() noexcept {
  auto expected = static_cast<std::uint8_t>(parked);
  return wait_state_.compare_exchange_strong(expected, woken, std::memory_order_acq_rel)
         || expected == woken;
}

bool server_core::wait_woken() const noexcept {
  return wait_state_.load(std::memory_order_acquire) == woken;
}

void server_core::kill_in_wait(exit_reason reason) {
  std::unique_ptr<exit_reason> earlier{
    pending_exit_.exchange(std::make_unique<exit_reason>(std::move(reason)).release())};
}

void server_core::throw_if_killed() {
  if (pending_exit_.load(std::memory_order_acquire) == nullptr)
    return;
  std::unique_ptr<exit_reason> reason{pending_exit_.exchange(nullptr)};
  if (!reason)
    return;
  wait_state_.store(idle, std::memory_order_release);
  throw process_exit{std::move(*reason)};
}

void server_core::note_exit_signal(const caf::mailbox_element& x) {
  const auto& content = x.content();
  if (content.size() != 1 || !content.match_element<caf::exit_msg>(0))
    return;
  const auto& signal = content.get_as<caf::exit_msg>(0);
  bool kill = signal.reason == caf::exit_reason::kill;
  auto reason = kill ? exit_reason::killed() : from_caf_error(signal.reason);
  // A trapped signal is a message like any other, handled after the wait.
  if (!kill && (trap_exit() || reason.is_normal()))
    return;
  kill_in_wait(std::move(reason));
  wake();
}

void server_core::forget_trapped_exit() noexcept {
  // Noted on arrival while the process did not trap; it traps by the time it handles it.
  std::unique_ptr<exit_reason> noted{pending_exit_.exchange(nullptr)};
  if (noted && *noted == exit_reason::killed()) {  // a kill is never trapped: keep it
    exit_reason* none = nullptr;
    if (pending_exit_.compare_exchange_strong(none, noted.get()))
      noted.release();
  }
}

namespace {

caf::mailbox_element_ptr deadline_message(caf::actor_clock::time_point at) {
  return caf::make_mailbox_element(nullptr, caf::make_message_id(), {}, wait_deadline_atom::value,
                                   std::int64_t{at.time_since_epoch().count()});
}

}  // namespace

bool server_core::on_wait_deadline(const caf::mailbox_element& x) {
  const auto& content = x.content();
  if (content.size() != 2 || !content.match_element<wait_deadline_atom>(0)
      || !content.match_element<std::int64_t>(1))
    return false;
  auto fired =
    caf::actor_clock::time_point{caf::actor_clock::duration_type{content.get_as<std::int64_t>(1)}};
  // The timer was armed after the cold state existed, which then never goes away.
  auto& c = *cold_;
  // Under the lock, so that the wait it ends is the one whose deadline passed.
  spin_guard guard{wait_lock_};
  if (fired == c.wait_timer_at)
    c.wait_timer_at = {};
  auto deadline = c.wait_deadline;
  if (deadline == caf::actor_clock::time_point{})
    return true;  // the wait is over
  if (clock().now() >= deadline) {
    wake();
    return true;
  }
  // Armed for an earlier wait: follow the current one, unless an earlier timer still runs.
  if (c.wait_timer_at == caf::actor_clock::time_point{}) {
    c.wait_timer_at = deadline;
    clock().schedule_message(deadline, ctrl(), deadline_message(deadline));
  }
  return true;
}

void server_core::wait_deadline_passed(std::int64_t at) {
  spin_guard guard{wait_lock_};
  if (cold_ && cold_->wait_timer_at.time_since_epoch().count() == at)
    cold_->wait_timer_at = {};
}

void server_core::arm_wait_deadline(caf::actor_clock::time_point deadline) {
  // One timer per process, for the earliest deadline: a chain of calls that are answered in
  // time costs one clock entry per few seconds, not one per call. A timer that fires for a wait
  // that is over re-arms for the current one.
  auto& c = cold();
  spin_guard guard{wait_lock_};
  c.wait_deadline = deadline;
  if (c.wait_timer_at != caf::actor_clock::time_point{} && c.wait_timer_at <= deadline)
    return;
  c.wait_timer_at = deadline;
  clock().schedule_message(deadline, ctrl(), deadline_message(deadline));
}

namespace {

/// What an I/O thread hands to a process's stack: the task and its event.
struct io_job {
  process_task* task;
  std::uint32_t event;
};

}  // namespace

bool server_core::run_if_idle(process_task& task, std::uint32_t event, caf::execution_unit* ctx) {
  // An idle process has a blocked mailbox; unblocking it is what a wake-up does, and makes
  // this thread the one that runs the process until it blocks again (its state is ours to
  // read only from then on). What is sent to it meanwhile queues up behind, so the order of
  // its messages holds.
  if (!getf(is_initialized_flag) || !mailbox().try_unblock())
    return false;
  context(ctx);
  // Give the process back as resume does: blocked again, or scheduled when messages arrived.
  auto release = [&] {
    if (!mailbox().try_block()) {
      caf::intrusive_ptr_add_ref(ctrl());
      ctx->exec_later(this);
    }
  };
  if (stopping_ || suspended_) {
    release();
    return false;
  }
  io_job job{&task, event};
  auto result = run_on_own_stack(ctx, &run_io_job, reinterpret_cast<std::uintptr_t>(&job));
  // Parked in a wait: the I/O thread goes on with other connections; whoever wakes the
  // process schedules it, and a scheduler thread finishes the task's turn.
  if (result == parked_marker)
    return true;
  // A process that stopped in the task is finalised here and now, as resume would.
  if (!finalize())
    release();
  return true;
}

std::uint8_t server_core::run_io_job(server_core& self, std::uintptr_t arg) {
  // Copied now: the I/O thread's frame that holds the job is gone once this stack parks.
  auto job = *reinterpret_cast<const io_job*>(arg);
  try {
    self.guarded([&] { job.task->run(self, job.event); });
  } catch (const process_exit& e) {  // killed while it waited
    self.quit(to_caf_error(e.reason));
  }
  if (!get_running_frame()->has_parked)
    return inline_marker;  // run_if_idle releases the process as before
  // Woken on a scheduler thread, inside its resume: end the turn as a resume ends it.
  if (self.finalize())
    return caf::resumable::done;
  return self.mailbox().try_block() ? caf::resumable::awaiting_message
                                    : caf::resumable::resume_later;
}

otp::pid server_core::pid_of_self() {
  return otp::pid{caf::actor_cast<caf::actor>(ctrl())};
}

// -- dispatch --------------------------------------------------------------------------------

void server_core::request_async(const caf::actor& dest, caf::message msg, timeout t,
                                awaited_replies::handler on_reply) {
  if (!runs_reply_callbacks())
    throw std::logic_error(
      "gen_server::async_call and supervisor::async_* need a gen_server: a process started by "
      "otp::spawn makes the blocking call, which parks it");
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
    auto timed_out = caf::make_message(caf::make_error(caf::sec::request_timeout));
    guarded([&] { on_reply(timed_out); });
    if (stopping_)
      return;
  }
  arm_reply_timer();
}

void server_core::consume_awaited_reply(caf::mailbox_element& x,
                                        awaited_replies::handler& on_reply) {
  current_element_ = &x;
  auto reply = x.move_content_to_message();
  guarded([&] { on_reply(reply); });
  current_element_ = nullptr;
}

caf::invoke_message_result server_core::consume(caf::mailbox_element& x) {
  if (!bounded_)
    return consume_message(x);
  if (drop_on_arrival(x))
    return caf::invoke_message_result::consumed;
  auto result = consume_message(x);
  if (result != caf::invoke_message_result::skipped)  // skipped: still queued, comes again
    note_dequeued();
  return result;
}

caf::invoke_message_result server_core::consume_message(caf::mailbox_element& x) {
  // Other responses (a timeout after its reply, CAF's own requests) take CAF's path below.
  if (x.mid.is_response() && cold_ && !cold_->awaited.empty()) {
    if (suspended_) {  // like any other message, after sys:resume
      if (cold_->awaited.contains(x.mid))
        return caf::invoke_message_result::skipped;
    } else if (auto on_reply = cold_->awaited.take(x.mid)) {
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
  if (x.mid.is_request() && x.sender && result.flag != caf::rt_delegated)
    send_reply(x, result);
  current_element_ = nullptr;
  return caf::invoke_message_result::consumed;
}

void server_core::send_reply(caf::mailbox_element& x, caf::result<caf::message>& result) {
  auto reply = result.flag == caf::rt_error ? caf::make_message(std::move(result.err))
                                            : std::move(result.value);
  x.sender->enqueue(ctrl(), x.mid.response_id(), std::move(reply), context());
}

namespace {

/// `(remote_call_atom | remote_cast_atom, T)`: a request from another node. 0 when not one.
int remote_envelope(const caf::type_erased_tuple& xs) noexcept {
  if (xs.size() != 2 || !xs.match_element<caf::atom_value>(0))
    return 0;
  auto tag = xs.get_as<caf::atom_value>(0);
  if (tag == remote_call_atom::value)
    return 1;
  if (tag == remote_cast_atom::value)
    return 2;
  return 0;
}

}  // namespace

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
  return callbacks_ ? callbacks_->remote_dispatch(xs, is_call) : nullptr;
}

caf::result<caf::message> server_core::dispatch_request(caf::type_erased_tuple& xs) {
  timeout_armed_ = false;
  if (trace_)
    trace_incoming();
  bool is_call = false;
  const auto* found = find_dispatch(xs, is_call);
  if (!found)  // out of line: this frame is under every wait of a callback
    return [ this, is_call ]() __attribute__((noinline))->caf::result<caf::message> {
      if (!is_call) {
        unhandled(fmt::format("cast for another server type: {}", describe_current()));
        return caf::message{};
      }
      return caf::make_error(caf::sec::invalid_argument, "badarg");
    }
  ();
  const auto& d = *found;
  reply_deferred_ = false;
  auto result = d.invoke(*this, xs.get_mutable(1));  // catches the callback's exceptions
  if (stopping_ && is_call && result.flag == caf::rt_delegated && !reply_deferred_)
    return fail_state();
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
      guarded([&] { task->run(*this, ref.event); });
    return caf::message{};
  }
  if (is_request_envelope(xs)) {
    if (holding_ || deferring_stop_)
      return caf::skip;
    return dispatch_request(xs);
  }
  if (xs.size() == 1 && xs.match_element<caf::atom_value>(0)
      && xs.get_as<caf::atom_value>(0) == reply_deadline_atom::value) {
    on_reply_deadline();  // the machinery's timer: no info, the inactivity timeout stays armed
    return caf::message{};
  }
  timeout_armed_ = false;
  if (trace_)
    trace_incoming();
  if (xs.size() == 3 && xs.match_element<caf::atom_value>(0)
      && xs.get_as<caf::atom_value>(0) == timer_atom::value && xs.match_element<timer_ref_box>(1)) {
    if (!xs.get_as<timer_ref_box>(1).state->fire())
      return caf::message{};  // cancelled
    bump(infos_);
    guarded([&] {
      if (!callbacks_->handle_info(*this, xs, 2))
        unhandled(describe_current());
    });
    return caf::message{};
  }
  bump(infos_);
  guarded([&] {
    if (!callbacks_->handle_info(*this, xs, 0))
      unhandled(describe_current());
  });
  return caf::message{};
}

void server_core::on_down(caf::down_msg& msg) {
  if (stopping_)
    return;
  down d{otp::pid{caf::actor_cast<caf::actor>(msg.source)}, from_caf_error(msg.reason)};
  if (suspended_) {
    cold().deferred.push_back(caf::make_message(box<down>{std::move(d)}));
    return;
  }
  timeout_armed_ = false;
  bump(infos_);
  guarded([&] {
    if (!callbacks_->handle_down(*this, d))
      unhandled(fmt::format("{}", d));
  });
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
  if (msg.source == parent_) {
    // OTP: a trapping gen_server that gets an exit signal from its parent terminates.
    stop_with(reason);
    return;
  }
  if (deferring_stop_) {
    // Stopping already: exit signals of the children being stopped are expected.
    return;
  }
  exit_signal e{otp::pid{caf::actor_cast<caf::actor>(msg.source)}, std::move(reason)};
  if (suspended_) {
    cold().deferred.push_back(caf::make_message(box<exit_signal>{std::move(e)}));
    return;
  }
  timeout_armed_ = false;
  bump(infos_);
  guarded([&] {
    if (!callbacks_->handle_exit(*this, e))
      unhandled(fmt::format("{}", e));
  });
}

void server_core::replay_deferred() {
  if (!cold_)
    return;
  auto pending = std::move(cold_->deferred);
  cold_->deferred.clear();
  for (auto& m : pending) {
    if (stopping_)
      return;
    bump(infos_);
    if (m.match_element<box<down>>(0)) {
      auto& d = m.get_mutable_as<box<down>>(0).value;
      guarded([&] {
        if (!callbacks_->handle_down(*this, d))
          unhandled(fmt::format("{}", d));
      });
    } else {
      auto& e = m.get_mutable_as<box<exit_signal>>(0).value;
      guarded([&] {
        if (!callbacks_->handle_exit(*this, e))
          unhandled(fmt::format("{}", e));
      });
    }
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
  bump(infos_);
  guarded([&] {
    if (!callbacks_->handle_timeout(*this))
      unhandled("timeout");
  });
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

void server_core::crash_from_current_exception() {
  try {
    throw;
  } catch (const process_exit&) {
    throw;
  } catch (const exit_request& e) {
    crash(e.reason);  // otp::exit(Reason)
  } catch (const std::exception& e) {
    crash(exit_reason::exception(e.what()));
  } catch (...) {
    crash(exit_reason::exception("unknown"));
  }
}

void server_core::crash(const exit_reason& reason) {
  stop_with(reason);
}

void pending_reply::deliver(caf::message msg) {
  auto* self = server_core::current();
  if (self == owner || !promise.stages().empty()) {
    promise.deliver(std::move(msg));
    return;
  }
  if (auto dest = promise.source())
    dest->enqueue(owner_ref, promise.id().response_id(), std::move(msg),
                  self ? self->context() : nullptr);
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

void server_core::on_exit() {
  // CAF propagates `kill` through links as `kill`, which kills every linked process, trapping
  // or not. Erlang's links propagate `killed`, which a supervisor can trap: do as Erlang does.
  if (fail_state_ == caf::make_error(caf::exit_reason::kill))
    fail_state_ = to_caf_error(exit_reason::killed());
  auto reason = fail_state_;
  if (callbacks_)
    callbacks_->exiting(*this, from_caf_error(fail_state_));
  if (cold_) {
    for (auto& p : cold_->pending)
      if (p->claim())
        p->deliver(caf::make_message(to_caf_error(from_caf_error(reason))));
    cold_->pending.clear();
    if (!cold_->name.empty())
      node_access::unregister_name(home(), cold_->name, id());
  }
  node_access::untrack(home(), *this);
  // Destroy the user's state on its own thread, after terminate.
  callbacks_.reset();
  // Safe: the scheduler holds a reference while this actor runs.
  keepalive_.reset();
}

bool server_core::cleanup(caf::error&& reason, caf::execution_unit* host) {
  auto first = caf::event_based_actor::cleanup(std::move(reason), host);
  // Only now have the exit and down messages gone out: the node waits for this (see
  // node::await_processes).
  if (first && tracked_)
    node_access::finished(home());
  return first;
}

// -- reports and introspection ----------------------------------------------------------------

std::string server_core::display_name() {
  return registered_name().empty() ? fmt::format("{}", pid_of_self()) : registered_name();
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
    if (const auto* d = callbacks_ ? callbacks_->remote_dispatch(xs, is_call) : nullptr)
      return request(is_call, d->describe(xs.get(1)));
    return request(is_call, caf::to_string(elem->copy_content_to_message()));
  }
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
  return elem ? otp::pid{caf::actor_cast<caf::actor>(elem->sender)} : otp::pid{};
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
  trace(fmt::format("sent {} to {}, new state {}", reply, current_caller(),
                    callbacks_ ? callbacks_->format_state() : std::string{"undefined"}));
}

void server_core::trace_new_state() {
  trace(fmt::format("new state {}",
                    callbacks_ ? callbacks_->format_state() : std::string{"undefined"}));
}

void server_core::report_crash(const exit_reason& reason) {
  auto& log = home().logger();
  if (!log.enabled(log_level::error))
    return;
  auto who = display_name();
  auto last = describe_current();
  auto state = callbacks_ ? callbacks_->format_state() : std::string{"undefined"};
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

server_core::probe server_core::read_probe() const noexcept {
  probe p;
  p.handled = calls_.load(std::memory_order_relaxed) + casts_.load(std::memory_order_relaxed)
              + infos_.load(std::memory_order_relaxed);
  p.started = running_.load(std::memory_order_acquire);
  if (p.started) {
    p.supervisor = supervisor_;  // set in init, before `running_` was released
    if (bounded_)
      p.mailbox = queued_.load(std::memory_order_relaxed);
  }
  auto wait = wait_state_.load(std::memory_order_relaxed);
  p.waiting = wait == waiting || wait == parked;
  p.plain = !runs_reply_callbacks();
  p.suspended = suspended_.load(std::memory_order_relaxed);
  // An atomic load of the inbox's head: blocked means empty, and nobody runs the process.
  p.idle = const_cast<server_core*>(this)->mailbox().blocked();
  p.connection = connection_.load(std::memory_order_relaxed);
  if (const auto* m = module_.load(std::memory_order_relaxed)) {
    p.module = m->type;
    p.state_bytes = static_cast<std::uint32_t>(m->state_bytes);
  }
  if (wait == parked)
    p.parked_bytes = parked_bytes_.load(std::memory_order_relaxed);
  return p;
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
  if (bounded_) {
    s.mailbox_limit = cold_->limit.max;
    s.mailbox_dropped = cold_->dropped.load(std::memory_order_relaxed);
  }
  s.state = callbacks_->format_state();
  return s;
}

}  // namespace otp::detail
