#pragma once

#include "otp/node.hpp"

#include <caf/actor_addr.hpp>

#include <string>

namespace otp::detail {

class server_core;

/// The registry operations that belong to process start-up and exit, not to users.
struct node_access {
  /// Registers `name` for `who`. When the name is taken, returns false and sets `holder`.
  static bool register_name(node& n, const std::string& name, const pid& who, pid& holder);
  /// Removes `name` only while it still maps to the process `id`.
  static void unregister_name(node& n, const std::string& name, std::uint64_t id);
  static void track(node& n, server_core& process);
  static void untrack(node& n, server_core& process);
  /// A tracked process has sent its exit and down messages: the node may stop after the last.
  static void finished(node& n);
};

}  // namespace otp::detail
