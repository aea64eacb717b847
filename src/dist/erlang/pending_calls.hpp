#pragma once

// Calls our processes (and plain threads) make to other nodes' gen_servers, waiting for their
// answer: Erlang's gen:call without a selective receive. The caller registers its call's
// reference, sends `{'$gen_call', {Self, Ref}, Request}` and waits — a process parks (a
// gen_server callback too), a plain thread blocks. The I/O thread hands the reply `{Ref,
// Reply}` (or the monitor's 'DOWN' with the same reference) straight to the waiting caller
// instead of its mailbox, so nothing of the call stays behind: no message, no entry.

#include "otp/call_error.hpp"
#include "otp/detail/waiting_process.hpp"
#include "otp/expected.hpp"
#include "otp/term.hpp"
#include "process/process_core.hpp"

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace otp::dist::erlang {

class pending_calls {
 public:
  using result = expected<term, call_error>;

  /// One call's wait. Whoever completes it does so under the table's lock, and the caller
  /// leaves the table under it too: a late answer never wakes a later wait.
  struct slot {
    // A process (a process_core, the only kind of waiting_process); null: a plain thread,
    // which waits on the condition.
    otp::detail::waiting_process* waiter = nullptr;
    std::string node;  // the called server's node: only it may end the call, and its loss does
    std::condition_variable cv;
    std::optional<result> answer;
  };

  /// Registers a call by its reference, before anything is sent.
  std::shared_ptr<slot> add(const erlang_ref& ref, otp::detail::waiting_process* waiter,
                            std::string node) {
    auto s = std::make_shared<slot>();
    s->waiter = waiter;
    s->node = std::move(node);
    std::lock_guard guard{mtx_};
    calls_[ref] = s;
    return s;
  }

  /// Waits for the answer up to `t` (a process parks, a plain thread blocks).
  void wait(const std::shared_ptr<slot>& s, timeout t) {
    if (s->waiter != nullptr) {
      // Prepared before looking: an answer that comes after the look wakes the suspend, one
      // that came before it is seen.
      s->waiter->prepare_wait();
      {
        std::lock_guard guard{mtx_};
        if (s->answer)
          return;
      }
      s->waiter->suspend(t);  // throws process_exit if the caller is killed meanwhile
      return;
    }
    std::unique_lock guard{mtx_};
    auto ready = [&] { return s->answer.has_value(); };
    if (t == infinity)
      s->cv.wait(guard, ready);
    else
      s->cv.wait_for(guard, t, ready);
  }

  /// The caller leaves the table (answered, timed out or killed): its answer, if one came.
  std::optional<result> take(const erlang_ref& ref, const std::shared_ptr<slot>& s) {
    std::lock_guard guard{mtx_};
    if (auto it = calls_.find(ref); it != calls_.end() && it->second == s)
      calls_.erase(it);
    return std::exchange(s->answer, std::nullopt);
  }

  /// From the I/O thread: completes the call waiting for `ref`, if any; false when no call
  /// waits for it (the message is someone else's). `from`: the node that says so, when it
  /// must be the called one (a monitor's exit). With `claimed`, a caller parked in its wait is
  /// not scheduled but left there, its wait ended, for the I/O thread to run it
  /// (`process_core::run_claimed`) once the table's lock is let go: a turn run under it would
  /// wait for it as soon as it calls again.
  bool complete(const erlang_ref& ref, result r, std::string_view from = {},
                caf::strong_actor_ptr* claimed = nullptr) {
    std::shared_ptr<slot> thread;
    {
      std::lock_guard guard{mtx_};
      auto it = calls_.find(ref);
      if (it == calls_.end() || it->second->answer || (!from.empty() && it->second->node != from))
        return false;
      if (!finish(*it->second, std::move(r), claimed))
        thread = it->second;
    }
    notify(thread);
    return true;
  }

  /// From the I/O thread: `node` is gone (every node: empty, the distribution stops); every
  /// call to it ends with `r`.
  void fail_node(std::string_view node, const result& r) {
    std::vector<std::shared_ptr<slot>> threads;
    {
      std::lock_guard guard{mtx_};
      for (auto& [ref, s] : calls_)
        if ((node.empty() || s->node == node) && !s->answer && !finish(*s, r))
          threads.push_back(s);
    }
    for (auto& s : threads)
      notify(s);
  }

  /// The calls waiting now (a call leaves when it ends, however it ends).
  std::size_t size() {
    std::lock_guard guard{mtx_};
    return calls_.size();
  }

 private:
  /// Wakes a plain thread, after the table's lock is let go: notified under it, the thread
  /// would wake only to block on it. The shared pointer keeps its slot alive meanwhile.
  static void notify(const std::shared_ptr<slot>& s) {
    if (s)
      s->cv.notify_one();
  }

  /// Gives `s` its answer and ends a process's wait; false if a plain thread waits, which the
  /// caller notifies once it has let the table's lock go.
  static bool finish(slot& s, result r, caf::strong_actor_ptr* claimed = nullptr) {
    s.answer = std::move(r);
    if (s.waiter == nullptr)
      return false;
    // Claimed under the lock, as a wake is: the caller cannot leave this wait meanwhile, so
    // the claim ends this wait and no later one. Alive: it is parked in the wait (a strong
    // reference keeps it so until it has been run).
    auto* process = static_cast<otp::detail::process_core*>(s.waiter);
    if (claimed != nullptr && process->claim_parked())
      *claimed = process->ctrl();
    else
      s.waiter->wake();  // running, about to park, or woken already
    return true;
  }

  std::mutex mtx_;
  std::map<erlang_ref, std::shared_ptr<slot>> calls_;
};

}  // namespace otp::dist::erlang
