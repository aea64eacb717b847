#pragma once

// The observer's responses, as text: JSON for /api/..., Prometheus' exposition for /metrics.
// Each runs on the observer's I/O thread; those that ask supervisors or a process (trees,
// one process's status) wait for their answers there, bounded by `ask_timeout`.

#include "observer/scheduler_load.hpp"

#include "otp/observer/process_list.hpp"
#include "otp/observer/restart_stats.hpp"
#include "otp/supervision_tree.hpp"
#include "runtime/node_reports.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace otp::observer::detail {

inline constexpr auto ask_timeout = std::chrono::seconds{1};

/// Every supervision tree of the node, one per top-level supervisor, oldest first. Walks all
/// processes to find the supervisors: O(n).
std::vector<tree_node> all_trees(node& n);

/// The trees under `roots` (as `all_trees` found them), without walking the processes: one
/// `supervision_tree` per root. Nothing if a root has exited (its tree is gone, or it is
/// now under another): then only `all_trees` can say.
std::optional<std::vector<tree_node>> trees_under(const std::vector<tree_node>& roots);

std::string processes_json(const process_page& page, const page_request& req);
/// A connected node's liveness: ok, late (silent over half the tick time) or unknown.
std::string_view tick_state(const otp::detail::peer_report& p, std::chrono::milliseconds tick);
/// Node figures, scheduler utilisation, distribution and listeners (node_view.cpp).
std::string node_json(node& n, scheduler_load& load);
std::string trees_json(const std::vector<tree_node>& trees);
/// One process: `sys::get_status` for a gen_server or supervisor, else what the list knows.
std::optional<std::string> process_json(node& n, std::uint64_t id);
std::string metrics_text(node& n, const restart_stats& stats, scheduler_load& load);
/// The scheduler, distribution and listener series of /metrics (node_metrics.cpp).
void node_metrics(std::string& out, node& n, scheduler_load& load);

}  // namespace otp::observer::detail
