// A process's own stack (Boost.Context fibers) and its waits: what makes a wait inside a
// process park the process instead of blocking its thread (docs/processes.md).

#include "process/process_core.hpp"

#include "otp/detail/atoms.hpp"
#include "runtime/caf_error.hpp"

#include <caf/actor_system.hpp>

#include <boost/context/fiber.hpp>
#include <boost/context/preallocated.hpp>

#include <array>
#include <cstring>
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>

#include "process/noted_exit.hpp"
#include "process/parked_state.hpp"
#include "process/wait_state.hpp"
#include "runtime/exception_state.hpp"
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
  process_core* current = nullptr;
  process_core* stack_owner = nullptr;  // whose stack runs on this thread
  process_core::fiber_frame* running_frame = nullptr;
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
process_core* get_current() noexcept {
  return thread_now().current;
}
void set_current(process_core* p) noexcept {
  thread_now().current = p;
}
process_core* get_stack_owner() noexcept {
  return thread_now().stack_owner;
}

}  // namespace

namespace ctx = boost::context;

/// What a process's stack keeps about itself while it runs or is parked: it lives on that
/// stack, in `run_on_own_stack`'s fiber function.
struct process_core::fiber_frame {
  ctx::fiber host;                   // on the stack: the thread's side, to switch back to
  ctx::fiber parked;                 // while parked: this stack, kept for whoever wakes it
  process_core* in_scope = nullptr;  // the current process at the park (a child in its init)
  bool has_parked = false;           // this turn waited at least once
  bool turn_over = false;            // the turn ended; the stack waits for the next one
  bool quit = false;                 // set by a host that lets the stack go: its fiber ends
  std::uint8_t* result = nullptr;    // where the turn's result goes: the current host's
  // The turn to run: set by the host before it resumes the stack.
  process_core* self = nullptr;
  stack_body body = nullptr;
  std::uintptr_t arg = 0;
#ifdef OTP_ASAN_FIBERS
  ctx::stack_context stack;  // this stack's bounds
  void* fake_stack = nullptr;
  const void* host_bottom = nullptr;
  std::size_t host_size = 0;
#endif
};

namespace {

process_core::fiber_frame* get_running_frame() noexcept {
  return thread_now().running_frame;
}
void set_running_frame(process_core::fiber_frame* f) noexcept {
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

// -- the current process ---------------------------------------------------------------------

process_core* process_core::current() noexcept {
  return get_current();
}

waiting_process* waiting_process::current() noexcept {
  return get_stack_owner();
}

process_core* process_core::stack_owner() noexcept {
  return get_stack_owner();
}

process_core::scope::scope(process_core* self) noexcept : previous_(get_current()) {
  set_current(self);
}

process_core::scope::~scope() {
  set_current(previous_);
}

// -- a call made on the process's stack ------------------------------------------------------

caf::message_id process_core::arm_call(std::uint64_t request_number, bool urgent) {
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

std::optional<caf::message> process_core::disarm_call() {
  auto* slot = call_slot_.load(std::memory_order_relaxed);
  spin_guard guard{slot->lock};
  slot->armed = false;
  return std::exchange(slot->reply, std::nullopt);
}

bool process_core::take_call_reply(caf::mailbox_element& x) {
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

using turn_body = std::uint8_t (*)(process_core&, std::uintptr_t);

/// The loop a stack's fiber runs: one turn after another, until its host lets it go.
void run_turns(process_core::fiber_frame& own) {
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
  process_core* self = nullptr;
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
    process_core::fiber_frame own;
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

ctx::fiber make_turn_stack(stack_home& home, process_core* self, turn_body body, std::uintptr_t arg,
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
  process_core::fiber_frame* frame = nullptr;
  stack_home* home = nullptr;

  turn_stack() = default;
  turn_stack(ctx::fiber f, process_core::fiber_frame* fr, stack_home* h) noexcept
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
void keep_turn_stack(ctx::fiber&& fiber, process_core::fiber_frame* frame, stack_home& home) {
  turn_stack done{std::move(fiber), frame, &home};
  if (spare.home == nullptr && stack_pool::keep(home))
    spare = std::move(done);
}  // `done`, unless kept, lets its stack go here

/// The records of finished parks, kept by the thread for its next ones: every hop of a call
/// chain parks one process and resumes another, and each record would be a heap allocation.
/// A few are kept: a chain three calls deep parks three before it resumes any.
struct parked_spares {
  static constexpr std::size_t capacity = 8;
  std::array<std::unique_ptr<process_core::parked_state>, capacity> records;
  std::size_t count = 0;
};

/// Reached out of line, like `thread_now`, so that no thread's spares are used after a switch.
[[gnu::noinline]] parked_spares& spare_parked() noexcept {
  thread_local parked_spares spares;
  auto* mine = &spares;
  asm volatile("" : "+r"(mine));
  return *mine;
}

std::unique_ptr<process_core::parked_state> new_parked_state() {
  if (auto& spares = spare_parked(); spares.count > 0)
    return std::move(spares.records[--spares.count]);
  return std::make_unique<process_core::parked_state>();
}

/// Keeps a finished park's record for the thread's next one (it holds no frames by now).
void recycle(std::unique_ptr<process_core::parked_state> state) noexcept {
  *state = {};
  if (auto& spares = spare_parked(); spares.count < parked_spares::capacity)
    spares.records[spares.count++] = std::move(state);
}

}  // namespace

void process_core::reschedule_parked(void* owner) {
  // Its stack is free now; the reference taken when it began to wait for it goes.
  auto* self = static_cast<process_core*>(owner);
  self->schedule_woken();
  caf::intrusive_ptr_release(self->ctrl());
}

std::uint8_t process_core::run_on_own_stack(caf::execution_unit* ctx, stack_body body,
                                            std::uintptr_t arg) {
  // Once `body` has given the process back (CAF's resume blocked its mailbox, say), another
  // thread may run it at once: from then on neither side touches the process's members.
  // The result travels through the host's own `result`, and the stack's frame stays valid
  // for whoever finds it in `parked_`.
  std::uint8_t result = parked_marker;
  context(ctx);  // a parked process goes on where it stopped, maybe on another thread
  ctx::fiber stack;
  stack_home* home = nullptr;
  process_core* in_scope = this;
  fiber_frame* frame = nullptr;
  if (parked_) {  // woken after a wait
    // Held while it may wait for its stack: whoever frees the stack reschedules it.
    caf::intrusive_ptr_add_ref(ctrl());
    if (!stack_pool::reclaim(parked_->turn))
      return parked_marker;  // its stack runs another turn
    caf::intrusive_ptr_release(ctrl());
    home = parked_->turn.home;
    frame = parked_->frame;
    recycle(std::move(parked_));
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
  // The host's exceptions stay with the host; the process brings its own (suspend).
  auto host_exceptions = exception_state::take();
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
    host_exceptions.restore();
    if (frame->turn_over) {  // the turn ended; its stack may run the thread's next turn
      keep_turn_stack(std::move(stack), frame, *home);
      return result;
    }
    // Parked in a wait (the process is still ours). Once the state says so, a wake may
    // resume it on any thread; once the pool knows, its frames may move to the heap.
    auto state = new_parked_state();
    state->turn.home = home;
    state->turn.sp = lowest_frame(stack);
    parked_bytes_.store(static_cast<std::uint32_t>(stack_pool::frames_top(*home) - state->turn.sp),
                        std::memory_order_relaxed);
    state->turn.reschedule = &process_core::reschedule_parked;
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
    host_exceptions = exception_state::take();
    recycle(std::move(parked_));
    stack = std::move(frame->parked);
    in_scope = frame->in_scope;
  }
}

bool process_core::turn_has_parked() noexcept {
  return get_running_frame()->has_parked;
}

void process_core::prepare_wait() noexcept {
  wait_state_.store(waiting, std::memory_order_release);
}

void process_core::suspend(timeout t) {
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
    // Inside a catch block, or a destructor run by a throw: the exception goes with the process.
    auto own_exceptions = exception_state::take();
#ifdef OTP_ASAN_FIBERS
    __sanitizer_start_switch_fiber(&frame->fake_stack, frame->host_bottom, frame->host_size);
#endif
    frame->host = std::move(frame->host).resume();
#ifdef OTP_ASAN_FIBERS
    __sanitizer_finish_switch_fiber(frame->fake_stack, &frame->host_bottom, &frame->host_size);
#endif
    own_exceptions.restore();  // on the thread that resumed it
  }
  if (t != infinity) {
    spin_guard guard{wait_lock_};
    cold_->wait_deadline = {};
  }
  wait_state_.store(idle, std::memory_order_release);
  throw_if_killed();
}

void process_core::wake() noexcept {
  auto state = wait_state_.load(std::memory_order_acquire);
  while (state == waiting || state == parked) {
    if (wait_state_.compare_exchange_weak(state, woken, std::memory_order_acq_rel)) {
      if (state == parked)  // nobody runs it
        schedule_woken();
      return;
    }
  }
}

void process_core::schedule_woken(caf::execution_unit* ctx) {
  // As a message to an idle actor does.
  caf::intrusive_ptr_add_ref(ctrl());
  if (ctx != nullptr)
    ctx->exec_later(this);
  else
    home_system().scheduler().enqueue(this);
}

bool process_core::claim_parked() noexcept {
  auto expected = static_cast<std::uint8_t>(parked);
  return wait_state_.compare_exchange_strong(expected, woken, std::memory_order_acq_rel);
}

bool process_core::take_parked() noexcept {
  auto expected = static_cast<std::uint8_t>(parked);
  return wait_state_.compare_exchange_strong(expected, woken, std::memory_order_acq_rel)
         || expected == woken;
}

bool process_core::wait_woken() const noexcept {
  return wait_state_.load(std::memory_order_acquire) == woken;
}

// -- exit signals that end a wait --------------------------------------------------------------

namespace {

std::span<const exit_reason> shared_exit_reasons() {
  static const exit_reason reasons[] = {exit_reason::normal(), exit_reason::shutdown(),
                                        exit_reason::kill(),   exit_reason::killed(),
                                        exit_reason::noproc(), exit_reason::noconnection(),
                                        exit_reason::timeout()};
  return reasons;
}

}  // namespace

const exit_reason* shared_exit_reason(const exit_reason& r) noexcept {
  if (!r.detail().empty())
    return nullptr;
  for (const auto& shared : shared_exit_reasons())
    if (shared.what() == r.what())
      return &shared;
  return nullptr;
}

bool is_shared_exit_reason(const exit_reason* r) noexcept {
  auto all = shared_exit_reasons();
  return std::greater_equal<>{}(r, all.data()) && std::less<>{}(r, all.data() + all.size());
}

noted_exit note_exit(exit_reason r) {
  // Shared reasons are never written through this pointer: is_shared_exit_reason guards.
  if (const auto* shared = shared_exit_reason(r))
    return noted_exit{const_cast<exit_reason*>(shared)};
  return noted_exit{new exit_reason(std::move(r))};
}

void process_core::kill_in_wait(exit_reason reason) {
  noted_exit earlier{pending_exit_.exchange(note_exit(std::move(reason)).release())};
}

void process_core::throw_if_killed() {
  if (pending_exit_.load(std::memory_order_acquire) == nullptr)
    return;
  noted_exit reason{pending_exit_.exchange(nullptr)};
  if (!reason)
    return;
  wait_state_.store(idle, std::memory_order_release);
  if (is_shared_exit_reason(reason.get()))
    throw process_exit{*reason};
  throw process_exit{std::move(*reason)};
}

void process_core::note_exit_signal(const caf::mailbox_element& x) {
  const auto& content = x.content();
  if (content.size() != 1 || !content.match_element<caf::exit_msg>(0))
    return;
  const auto& signal = content.get_as<caf::exit_msg>(0);
  bool kill = is_kill(signal.reason);
  auto reason = kill ? exit_reason::killed() : from_caf_error(signal.reason);
  // A trapped signal is a message like any other, handled after the wait.
  if (!kill && (trap_exit() || reason.is_normal()))
    return;
  kill_in_wait(std::move(reason));
  wake();
}

void process_core::forget_trapped_exit() noexcept {
  // Noted on arrival while the process did not trap; it traps by the time it handles it.
  noted_exit noted{pending_exit_.exchange(nullptr)};
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

bool process_core::on_wait_deadline(const caf::mailbox_element& x) {
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

void process_core::wait_deadline_passed(std::int64_t at) {
  spin_guard guard{wait_lock_};
  if (cold_ && cold_->wait_timer_at.time_since_epoch().count() == at)
    cold_->wait_timer_at = {};
}

void process_core::arm_wait_deadline(caf::actor_clock::time_point deadline) {
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

}  // namespace otp::detail
