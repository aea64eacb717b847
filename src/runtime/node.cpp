#include "otp/node.hpp"

#include "runtime/coordinator.hpp"
#include "runtime/scheduler.hpp"

#include "runtime/node_access.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/exit_reason.hpp>
#include <caf/policy/work_sharing.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>

#include <algorithm>
#include <thread>

namespace otp {

struct node::config : caf::actor_system_config {
  explicit config(node* n, const node_options& opts) : owner(n) {
    // Never read ./caf-application.ini: a stray file there must not change a node's behaviour.
    config_file_path = "/dev/null";
    switch (opts.policy) {
      case scheduler_policy::stealing:
        set("scheduler.policy", caf::atom("stealing"));
        use_scheduler<detail::scheduler>();
        break;
      case scheduler_policy::sharing:
        set("scheduler.policy", caf::atom("sharing"));
        use_scheduler<detail::coordinator<caf::policy::work_sharing>>();
        break;
      case scheduler_policy::testing:
        set("scheduler.policy", caf::atom("testing"));
        break;
    }
    auto threads = opts.threads;
    if (threads == 0)
      threads = std::max(1u, std::thread::hardware_concurrency());
    set("scheduler.max-threads", threads);
    for (const auto& hook : opts.setup)
      hook(*this);
  }

  /// Installs `Scheduler` as the actor system's scheduler; both of ours give processes a
  /// clock that spares exiting processes a wake-up of the clock thread (see lean_clock). A
  /// setup hook may still install another one.
  template <class Scheduler>
  void use_scheduler() {
    module_factories.push_back([](caf::actor_system& sys) -> caf::actor_system::module* {
      // CAF's module factories hand over a raw pointer; the actor system owns and deletes it.
      return new Scheduler(sys);
    });
  }

  node* owner;
};

node::node(node_options opts) : opts_(opts) {
  logger_.set_level(opts_.log);
  cfg_ = std::make_unique<config>(this, opts_);
  system_ = std::make_unique<caf::actor_system>(*cfg_);
}

node::~node() {
  if (deterministic()) {
    shutdown();
    // Nobody else runs a test coordinator: let the killed processes finish exiting, or
    // ~actor_system would wait for them for ever.
    auto& sched = dynamic_cast<caf::scheduler::test_coordinator&>(system_->scheduler());
    sched.run();
  } else {
    await_processes();
  }
  for (const auto& hook : opts_.teardown)
    hook(*system_);
  system_.reset();
}

void node::await_processes() {
  // ~actor_system only waits for CAF's count of running actors, which an actor leaves before
  // it sends its exit and down messages. Its modules then stop while those messages are still
  // on their way: a down message that reaches CAF's BASP broker after the middleman stopped
  // leaks the broker. `unfinished_` counts a process until its messages went out.
  std::unique_lock guard{mtx_};
  while (unfinished_ > 0) {
    guard.unlock();
    // Again on every round: a process may have started one while it was being killed.
    shutdown();
    guard.lock();
    exited_.wait_for(guard, std::chrono::milliseconds{100});
  }
}

node& node::of(caf::actor_system& sys) {
  return *static_cast<const config&>(sys.config()).owner;
}

std::optional<pid> node::whereis(std::string_view name) const {
  std::lock_guard guard{mtx_};
  if (auto i = names_.find(std::string{name}); i != names_.end())
    return i->second;
  return std::nullopt;
}

std::vector<std::string> node::registered() const {
  std::vector<std::string> result;
  {
    std::lock_guard guard{mtx_};
    for (const auto& entry : names_)
      result.push_back(entry.first);
  }
  std::sort(result.begin(), result.end());
  return result;
}

std::size_t node::process_count() const {
  std::lock_guard guard{mtx_};
  return process_count_;
}

void node::shutdown() {
  std::vector<caf::actor_addr> victims;
  {
    std::lock_guard guard{mtx_};
    victims.reserve(process_count_);
    for (auto* h = processes_.next; h != &processes_; h = h->next)
      victims.push_back(detail::node_access::address(*h));
  }
  for (const auto& addr : victims)
    caf::anon_send_exit(addr, caf::exit_reason::kill);
}

}  // namespace otp

namespace otp::detail {

bool node_access::register_name(node& n, const std::string& name, const pid& who, pid& holder) {
  std::lock_guard guard{n.mtx_};
  auto [i, added] = n.names_.emplace(name, who);
  if (!added)
    holder = i->second;
  return added;
}

void node_access::unregister_name(node& n, const std::string& name, std::uint64_t id) {
  std::lock_guard guard{n.mtx_};
  if (auto i = n.names_.find(name); i != n.names_.end() && i->second.id() == id)
    n.names_.erase(i);
}

void node_access::track(node& n, process_hook& process) {
  std::lock_guard guard{n.mtx_};
  process.link_after(n.processes_);
  ++n.process_count_;
  ++n.process_changes_;
  ++n.unfinished_;
}

void node_access::untrack(node& n, process_hook& process) {
  std::lock_guard guard{n.mtx_};
  if (process.next == &process)
    return;
  process.unlink();
  --n.process_count_;
  ++n.process_changes_;
}

void node_access::visit(const node& n,
                        const std::function<void(const std::string&, const pid&)>& on_name,
                        const std::function<bool(process_hook&)>& on_process) {
  std::lock_guard guard{n.mtx_};
  for (const auto& [name, who] : n.names_)
    on_name(name, who);
  for (auto* h = n.processes_.prev; h != &n.processes_; h = h->prev)
    if (!on_process(*h))
      return;
}

std::uint64_t node_access::process_changes(const node& n) {
  std::lock_guard guard{n.mtx_};
  return n.process_changes_;
}

void node_access::finished(node& n) {
  std::lock_guard guard{n.mtx_};
  if (--n.unfinished_ == 0)
    n.exited_.notify_all();
}

}  // namespace otp::detail
