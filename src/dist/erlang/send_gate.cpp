#include "dist/erlang/send_gate.hpp"

#include <algorithm>
#include <chrono>

namespace otp::dist::erlang {

void send_gate::enter(std::size_t n) {
  while (!has_room()) {
    if (auto* w = otp::detail::waiting_process::current())
      wait_as_process(*w);
    else
      wait_as_thread();
  }
  queued_.fetch_add(n);
}

void send_gate::wait_as_process(otp::detail::waiting_process& w) {
  w.prepare_wait();  // before it can be woken: a wake from here on ends the suspend
  {
    std::lock_guard guard{mtx_};
    processes_.push_back(&w);
  }
  waiting_.fetch_add(1);
  struct leave {
    send_gate& g;
    otp::detail::waiting_process* w;
    ~leave() {  // also when the process is killed while it waits
      g.waiting_.fetch_sub(1);
      std::lock_guard guard{g.mtx_};
      std::erase(g.processes_, w);
    }
  } guard{*this, &w};
  if (!has_room())
    w.suspend(std::chrono::seconds{1});  // a bound, not a poll: `left` wakes it
}

void send_gate::wait_as_thread() {
  waiting_.fetch_add(1);
  {
    std::unique_lock guard{mtx_};
    cv_.wait_for(guard, std::chrono::seconds{1}, [this] { return has_room(); });
  }
  waiting_.fetch_sub(1);
}

void send_gate::left(std::size_t n) {
  if (n == 0)
    return;
  auto now = queued_.fetch_sub(n) - n;
  if (now <= limit_ && waiting_.load() > 0)
    wake_all();
}

void send_gate::stop() {
  stopped_ = true;
  wake_all();
}

void send_gate::wake_all() {
  // Under the lock: a process leaves the list under it before it goes on, so it is never
  // woken out of a later, unrelated wait.
  std::lock_guard guard{mtx_};
  for (auto* w : processes_)
    w->wake();
  cv_.notify_all();
}

}  // namespace otp::dist::erlang
