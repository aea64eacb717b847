#pragma once

#include "otp/detail/process_hook.hpp"
#include "otp/logger.hpp"
#include "otp/pid.hpp"

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace caf {
class actor_system;
class actor_system_config;
}  // namespace caf

namespace otp {

namespace detail {
struct node_access;
}

/// How the node's CAF scheduler runs processes.
enum class scheduler_policy {
  /// Work stealing (CAF's policy and settings, `work-stealing.*`, on caf-otp's own workers,
  /// whose steals cost O(1)): the fastest request/response on this kind of machine.
  stealing,
  /// One shared queue: fairer for I/O hand-off, about half the request/response throughput.
  sharing,
  /// CAF's deterministic test coordinator: nothing runs until a test drives it (see otp/test).
  testing,
};

struct node_options {
  /// Scheduler threads; 0 means one per core (CAF's own default is at least 4).
  std::size_t threads = 0;
  scheduler_policy policy = scheduler_policy::stealing;
  log_level log = log_level::notice;
  /// Runs on the CAF configuration before the actor system starts: how modules such as
  /// distribution (`otp::dist::configure`) load CAF's middleman and register message types.
  std::vector<std::function<void(caf::actor_system_config&)>> setup = {};
  /// Runs on the actor system when the node is destroyed, after every process has exited and
  /// before the actor system stops: how distribution closes CAF's BASP broker in order.
  std::vector<std::function<void(caf::actor_system&)>> teardown = {};
};

/// A running Erlang-style node: the CAF actor system, the registry of names and the logger.
///
/// Processes live until they exit, as in Erlang. Destroying the node kills the processes
/// still running and waits until they have exited; stop your supervision tree first for an
/// orderly shutdown.
class node {
 public:
  explicit node(node_options opts = {});
  ~node();

  node(const node&) = delete;
  node& operator=(const node&) = delete;

  caf::actor_system& system() noexcept { return *system_; }
  otp::logger& logger() noexcept { return logger_; }
  const node_options& options() const noexcept { return opts_; }
  bool deterministic() const noexcept { return opts_.policy == scheduler_policy::testing; }

  /// The process registered under `name`, if any (Erlang's `whereis/1`).
  std::optional<pid> whereis(std::string_view name) const;

  /// All registered names (Erlang's `registered/0`), sorted.
  std::vector<std::string> registered() const;

  /// caf-otp processes currently running on this node.
  std::size_t process_count() const;

  /// Kills every process still running. The destructor calls it.
  void shutdown();

  /// The node that owns `sys`.
  static node& of(caf::actor_system& sys);

 private:
  friend struct detail::node_access;

  struct config;

  node_options opts_;
  otp::logger logger_;
  std::unique_ptr<config> cfg_;
  std::unique_ptr<caf::actor_system> system_;

  /// Kills the processes still running and waits until each has finished exiting.
  void await_processes();

  mutable std::mutex mtx_;
  std::condition_variable exited_;
  std::unordered_map<std::string, pid> names_;
  /// The running processes (their hooks), and how many there are.
  detail::process_hook processes_;
  std::size_t process_count_ = 0;
  /// Processes tracked and untracked so far: unchanged means no process started or exited.
  std::uint64_t process_changes_ = 0;
  /// Processes started and not yet through CAF's cleanup (their exit and down messages sent):
  /// a process leaves `processes_` when it exits, and this count a moment later.
  std::size_t unfinished_ = 0;
};

}  // namespace otp
