#pragma once

// The stacks processes run their turns on, and how the frames of a parked process leave its
// stack.
//
// A stack stays at one address for its whole life (a `stack_home`). A turn runs on a home; a
// turn that parks in a wait leaves its frames there. When a new turn needs a stack and the
// node-wide limit of stacks is reached, the frames of a parked turn — only the part in use,
// typically 2–3 KiB, where the stack has whole pages touched — are copied to the heap, and
// its home runs the new turn. A parked turn must go on on its own home, since its frames hold
// pointers into it: its frames are copied back (after those of whoever else is parked there
// are copied out), or, if its home runs another turn right now, it waits for that turn to end
// or park and is rescheduled then.
//
// So however many processes wait, a program keeps a bounded number of stacks (and of the
// kernel's memory mappings, two per stack), and each waiting process costs the part of its
// stack it used.

#include <boost/context/stack_context.hpp>

#include <cstddef>
#include <memory>

namespace otp::detail {

class stack_home;

/// A turn parked in a wait: where its frames are. Owned by the parked process.
struct parked_turn {
  stack_home* home = nullptr;
  const std::byte* sp = nullptr;       ///< the lowest byte of its frames
  std::unique_ptr<std::byte[]> image;  ///< its frames, while they are off its home
  /// Makes the turn's process runnable again, once the home it waited for is free.
  void (*reschedule)(void* owner) = nullptr;
  void* owner = nullptr;
  parked_turn* next_waiter = nullptr;
};

/// The program's stacks for process turns. All functions are thread-safe.
class stack_pool {
 public:
  /// Usable bytes per stack (a guard page lies below); pages are committed as touched.
  static constexpr std::size_t stack_size = 256 * 1024;

  /// A stack for a new turn, which runs on it until `release` or `park`.
  static stack_home& acquire();
  static boost::context::stack_context bounds(const stack_home& home) noexcept;
  /// The end of what a parked turn's frames may use: evictions copy from its `sp` up to here.
  /// The stack's top unless `set_frames_top` lowered it.
  static const std::byte* frames_top(const stack_home& home) noexcept;
  /// What lies on `home` above `top` is the same for every turn that ever runs there (a
  /// fiber's record, made alike for each fiber on the stack, and the gap Boost.Context leaves
  /// below it), so evictions leave it where it is. Called by the turn that runs on `home`.
  static void set_frames_top(stack_home& home, const std::byte* top) noexcept;

  /// The turn on `home` ended: the stack is free.
  static void release(stack_home& home) noexcept;
  /// The turn on `home` ended, and its thread would keep the stack for its next turn: true
  /// (and the stack stays taken) unless frames moved off it must come back to it, since a kept
  /// stack is nobody else's to run on.
  static bool keep(stack_home& home) noexcept;
  /// The turn on `turn.home` parked, its lowest live byte at `turn.sp`. Its frames stay until
  /// a turn needs the stack. From now on another thread may `reclaim` it.
  static void park(parked_turn& turn) noexcept;
  /// Puts a parked turn's frames back on its home and gives the home to it. False when the
  /// home runs another turn: `turn.reschedule` is called once that turn is over or parked.
  static bool reclaim(parked_turn& turn);
  /// A parked turn that will never go on (its process is gone): its frames are forgotten.
  static void abandon(parked_turn& turn) noexcept;

  /// Stacks kept before parked frames move to the heap (default 256). For tests.
  static void set_limit(std::size_t stacks) noexcept;

  struct figures {
    std::size_t stacks;         ///< stacks in existence
    std::size_t evictions;      ///< parked frames moved to the heap, since the start
    std::size_t restores;       ///< parked frames moved back
    std::size_t evicted_bytes;  ///< bytes of frames moved to the heap, since the start
  };
  static figures read() noexcept;
};

}  // namespace otp::detail
