// A process's turn: its messages, taken from CAF's mailbox. CAF's own `resume` without what
// caf-otp never uses (CAF streams, whose upkeep reads the clock every round): it runs every
// turn, and its frames lie under every wait of a callback.

#include "process/message_loop.hpp"

namespace otp::detail {

namespace {

thread_local bool short_turns = false;

// Read anew after every visit, which may park the process and go on on another thread: out
// of line, behind an asm the optimiser cannot see through, so the thread-local's address is
// never kept across the switch (see process_stack.cpp, `thread_now`).
[[gnu::noinline]] bool short_turns_here() noexcept {
  auto* flag = &short_turns;
  asm volatile("" : "+r"(flag));
  return *flag;
}

}  // namespace

void short_turns_on_this_thread(bool on) noexcept {
  short_turns = on;
}

std::uint8_t run_message_loop(process_core& self, std::uintptr_t max) {
  if (!self.activate(self.context()))
    return caf::resumable::done;
  std::size_t handled = 0;
  caf::scheduled_actor::mailbox_visitor visit{&self, handled, max};
  while (handled < max) {
    if (self.mailbox().new_round(3, visit).consumed_items == 0) {
      if (handled > 0)
        self.set_receive_timeout();
      if (self.mailbox().try_block())
        return caf::resumable::awaiting_message;
    }
    if (self.finalize())
      return caf::resumable::done;
    if (short_turns_here())
      break;
  }
  self.set_receive_timeout();
  if (self.mailbox().try_block())
    return caf::resumable::awaiting_message;
  return caf::resumable::resume_later;
}

}  // namespace otp::detail
