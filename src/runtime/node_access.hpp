#pragma once

#include "otp/node.hpp"

#include <caf/actor_addr.hpp>

#include <functional>
#include <string>

namespace otp::detail {

/// The registry operations that belong to process start-up and exit, not to users.
struct node_access {
  /// Registers `name` for `who`. When the name is taken, returns false and sets `holder`.
  static bool register_name(node& n, const std::string& name, const pid& who, pid& holder);
  /// Removes `name` only while it still maps to the process `id`.
  static void unregister_name(node& n, const std::string& name, std::uint64_t id);
  static void track(node& n, process_hook& process);
  static void untrack(node& n, process_hook& process);
  /// The address of a tracked process, for `node::shutdown`. The node knows its processes only
  /// by their hooks: the process layer above it defines this (process_core.cpp).
  static caf::actor_addr address(const process_hook& process);
  /// A tracked process has sent its exit and down messages: the node may stop after the last.
  static void finished(node& n);
  /// Under the node's lock, so that no process leaves (or is destroyed) meanwhile: each
  /// registered name, then each running process, oldest first, until `on_process` returns
  /// false. Both must be short and must not block (the observer's snapshots).
  /// How many times a process started or exited so far: the observer takes the trees again
  /// only when this moved (a restart, a child started or stopped).
  static std::uint64_t process_changes(const node& n);
  static void visit(const node& n,
                    const std::function<void(const std::string&, const pid&)>& on_name,
                    const std::function<bool(process_hook&)>& on_process);
};

}  // namespace otp::detail
