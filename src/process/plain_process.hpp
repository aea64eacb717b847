#pragma once

#include "otp/receive.hpp"
#include "otp/spawn.hpp"
#include "process/process_core.hpp"
#include "process/process_task.hpp"

#include <deque>
#include <exception>
#include <memory>

namespace otp::detail {

/// A process that runs one function (`otp::spawn`), Erlang's plain process. The function runs
/// on one stack for the whole life of the process and parks it in every wait; `receive` waits
/// for messages, which the process keeps in arrival order (its save queue) until a receive
/// takes them.
///
/// Every message reaches `handle` on the scheduler thread's own stack, where it is kept, and
/// goes on with the function's stack when the message ends the wait it is parked in. Whatever
/// ends a wait (a message, a reply, a timer, an exit signal) runs the process through its
/// mailbox, so only one thread ever runs it.
class plain_process final : public process_core {
 public:
  explicit plain_process(caf::actor_config& cfg);

  /// Before the process runs.
  void bind_body(std::unique_ptr<process_body> body) { body_ = std::move(body); }
  /// Lets it run: its function starts on a scheduler thread.
  void start();

  /// `otp::receive`, on the process's stack.
  int receive_next(receive_matcher match, const void* clauses, timeout t, message_ref& out,
                   void*& value);

  /// The plain process running on this thread, or null.
  static plain_process* current() noexcept;

  caf::behavior make_behavior() override;
  resume_result resume(caf::execution_unit* ctx, std::size_t max_throughput) override;
  void before_leaving(const exit_reason& reason) override;
  void exit_now(const exit_reason& reason) override { die(reason); }

 protected:
  caf::invoke_message_result handle(caf::mailbox_element& x) override;
  void schedule_woken(caf::execution_unit* ctx = nullptr) override;

 private:
  /// A message no receive has taken yet.
  struct kept_message {
    caf::message content;
    caf::strong_actor_ptr sender;  // with `id`: a request, refused when the process exits
    caf::message_id id;
  };

  static std::uint8_t run_body(process_core& self, std::uintptr_t);
  /// After the function: its exit reason, its captures gone, the process ended.
  [[gnu::noinline]] std::uint8_t end_function(const std::exception_ptr& error);
  void keep(caf::message content, caf::strong_actor_ptr sender = {}, caf::message_id id = {});
  /// A task of a socket the process owns (an I/O event): run now, never kept for receive.
  void run_socket_task(const task_ref& ref);
  void on_exit_signal(caf::exit_msg& signal);
  void die(exit_reason reason);
  /// Goes on with the function's stack (started, or parked and woken).
  void go_on();
  void report_error(const exit_reason& reason);

  std::unique_ptr<process_body> body_;
  /// Made at the first message kept: an empty std::deque already holds 576 bytes of heap, a
  /// fifth of what a process blocked in a call costs.
  std::unique_ptr<std::deque<kept_message>> mailbox_;
  bool started_ = false;
  bool finished_ = false;
  bool receiving_ = false;  // parked in receive: a new message may end the wait
};

}  // namespace otp::detail
