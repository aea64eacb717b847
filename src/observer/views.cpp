#include "observer/views.hpp"

#include "observer/json.hpp"

#include "otp/observer/node_figures.hpp"
#include "otp/sys.hpp"

#include <fmt/format.h>

#include <iterator>
#include <set>

namespace otp::observer::detail {

namespace {

std::string display_name(node& n, const pid& p) {
  for (const auto& name : n.registered())
    if (n.whereis(name) == p)
      return name;
  return fmt::format("{}", p);
}

void collect_pids(const tree_node& t, std::set<std::uint64_t>& seen) {
  seen.insert(t.pid.id());
  for (const auto& child : t.children)
    collect_pids(child, seen);
}

std::string_view sort_name(sort_key k) {
  switch (k) {
    case sort_key::pid:
      return "pid";
    case sort_key::start:
      return "start";
    case sort_key::handled:
      return "handled";
    case sort_key::mailbox:
      return "mailbox";
  }
  return "pid";
}

void append_row(std::string& out, const process_row& r) {
  fmt::format_to(std::back_inserter(out), "{{\"pid\": \"<0.{}.0>\", \"name\": ", r.pid);
  append_json_string(out, r.name);
  fmt::format_to(std::back_inserter(out),
                 ", \"kind\": \"{}\", \"mailbox\": {}, \"handled\": {}, \"state\": \"{}\"}}",
                 r.kind, r.mailbox < 0 ? std::string{"null"} : fmt::format("{}", r.mailbox),
                 r.handled, r.state);
}

std::string status_json(const server_status& s) {
  std::string out = fmt::format("{{\"pid\": \"{}\", \"name\": ", s.pid);
  append_json_string(out, s.name);
  out += ", \"module\": ";
  append_json_string(out, s.module);
  fmt::format_to(std::back_inserter(out),
                 ", \"suspended\": {}, \"trace\": {}, \"trap_exit\": {}, \"mailbox\": {}, "
                 "\"calls\": {}, \"casts\": {}, \"infos\": {}, \"mailbox_limit\": {}, "
                 "\"mailbox_dropped\": {}, \"links\": null, \"monitors\": null, \"state\": ",
                 s.suspended, s.trace, s.trap_exit, s.mailbox_size, s.calls, s.casts, s.infos,
                 s.mailbox_limit, s.mailbox_dropped);
  append_json_string(out, s.state);
  out += "}\n";
  return out;
}

}  // namespace

std::vector<tree_node> all_trees(node& n) {
  std::vector<tree_node> trees;
  std::set<std::uint64_t> seen;
  // Oldest first: a tree's root was started before the supervisors under it, so each inner
  // supervisor has been seen by the time its turn comes.
  for (const auto& sup : supervisors(n)) {
    if (seen.contains(sup.id()))
      continue;
    auto tree = supervision_tree(sup_ref{sup}, display_name(n, sup));
    if (!tree)
      continue;  // it exited meanwhile
    collect_pids(*tree, seen);
    trees.push_back(std::move(*tree));
  }
  return trees;
}

std::optional<std::vector<tree_node>> trees_under(const std::vector<tree_node>& roots) {
  std::vector<tree_node> trees;
  for (const auto& root : roots) {
    auto tree = supervision_tree(sup_ref{root.pid}, root.id);
    if (!tree)
      return std::nullopt;
    trees.push_back(std::move(*tree));
  }
  return trees;
}

std::string processes_json(const process_page& page, const page_request& req) {
  std::string out = fmt::format(
    "{{\"total\": {}, \"offset\": {}, \"limit\": {}, \"sort\": \"{}\", \"order\": \"{}\", "
    "\"processes\": [",
    page.total, req.offset, req.limit, sort_name(req.sort), req.descending ? "desc" : "asc");
  for (std::size_t i = 0; i < page.rows.size(); ++i) {
    out += i == 0 ? "\n  " : ",\n  ";
    append_row(out, page.rows[i]);
  }
  out += "\n]}\n";
  return out;
}

std::string node_json(node& n) {
  auto f = take_node_figures(n);
  return fmt::format(
    "{{\"processes\": {}, \"scheduler_threads\": {}, \"resident_bytes\": {}, "
    "\"virtual_bytes\": {}, \"heap_in_use_bytes\": {}, \"registered\": {}}}\n",
    f.processes, f.scheduler_threads, f.resident_bytes, f.virtual_bytes, f.heap_in_use_bytes,
    n.registered().size());
}

std::string trees_json(const std::vector<tree_node>& trees) {
  std::string out = "[";
  for (std::size_t i = 0; i < trees.size(); ++i) {
    out += i == 0 ? "\n" : ",\n";
    auto tree = to_json(trees[i]);
    tree.pop_back();  // its newline
    out += tree;
  }
  out += "\n]\n";
  return out;
}

std::optional<std::string> process_json(node& n, std::uint64_t id) {
  auto p = find_process(n, id);
  if (!p)
    return std::nullopt;
  if (auto status = sys::get_status(*p, ask_timeout))
    return status_json(*status);
  // A plain process (no sys messages), or one too busy to answer in time: what the list has.
  auto row = find_row(n, id);
  if (!row)
    return std::nullopt;
  std::string out;
  append_row(out, *row);
  return out + "\n";
}

}  // namespace otp::observer::detail
