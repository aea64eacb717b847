#pragma once

// supervision_tree: a snapshot of a whole supervision tree, and three ways to draw it.
//
//   auto tree = otp::supervision_tree(app, "app").value();
//   fmt::print("{}", tree);
//   // app          supervisor  <0.4.0>                          one_for_one 1/5s  running
//   // └─ store     supervisor  <0.5.0>   permanent  0 restarts  one_for_all 3/5s  running
//   //    ├─ cache  worker      <0.36.0>  permanent  1 restart                     running
//   //    └─ index  worker      <0.37.0>  permanent  1 restart                     running
//   otp::to_json(tree);  // for tools
//   otp::to_dot(tree);   // for `dot -Tsvg`
//
// The walk calls `get_flags` and `which_children` on each supervisor, top down, so it is a
// snapshot per supervisor, not of the whole tree at one instant: a subtree that restarts
// during the walk shows either its old or its new children. Like those calls, it waits while
// a supervisor is busy stopping children.

#include "otp/expected.hpp"
#include "otp/sup_error.hpp"
#include "otp/sup_flags.hpp"
#include "otp/supervisor.hpp"

#include <fmt/core.h>

#include <optional>
#include <string>
#include <vector>

namespace otp {

/// One process of a supervision tree: its `child_info` line, plus its subtree.
struct tree_node {
  std::string id = {};  ///< empty for simple_one_for_one children
  otp::pid pid = {};
  child_type type = child_type::supervisor;
  child_info::status state = child_info::status::running;
  otp::restart restart = otp::restart::permanent;  ///< the root's own parent knows better
  unsigned restarts = 0;
  std::string module = {};
  /// A supervisor's flags; empty for workers, and for a supervisor that could not be asked.
  std::optional<sup_flags> flags = std::nullopt;
  /// A running supervisor's children, in its `which_children` order.
  std::vector<tree_node> children = {};
};

/// Walks the tree under `root`: a running child of type supervisor is descended into. Fails
/// only if `root` itself cannot be asked (it is not running, or not a supervisor).
expected<tree_node, sup_error> supervision_tree(const sup_ref& root, std::string root_id = "root");

/// A drawing with box characters, one aligned line per process: id, kind, pid, restart type,
/// restarts, strategy and intensity (supervisors), state. `color`: ANSI colours.
std::string to_text(const tree_node& tree, bool color = false);

/// `to_text`, marking with `*` (bold yellow when `color`) the pids that `before` does not hold:
/// the processes started since that snapshot.
std::string to_text(const tree_node& tree, const tree_node& before, bool color = false);

/// The tree as a JSON object: id, pid (null when undefined), type, state, restart, restarts,
/// module, flags (supervisors only) and children.
std::string to_json(const tree_node& tree);

/// The tree as a Graphviz digraph: supervisors as boxes, workers as ellipses.
std::string to_dot(const tree_node& tree);

}  // namespace otp

/// Prints `to_text(tree)`, without colours.
template <>
struct fmt::formatter<otp::tree_node> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const otp::tree_node& t, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(otp::to_text(t), ctx);
  }
};
