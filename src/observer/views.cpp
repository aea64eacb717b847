#include "observer/views.hpp"

#include "observer/json.hpp"
#include "observer/relations.hpp"

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
    case sort_key::memory:
      return "memory";
  }
  return "pid";
}

void append_row(std::string& out, const process_row& r) {
  fmt::format_to(std::back_inserter(out), "{{\"pid\": \"<0.{}.0>\", \"name\": ", r.pid);
  append_json_string(out, r.name);
  out += ", \"module\": ";
  append_json_string(out, r.module);
  fmt::format_to(std::back_inserter(out),
                 ", \"kind\": \"{}\", \"mailbox\": {}, \"handled\": {}, \"memory\": {}, "
                 "\"state\": \"{}\"}}",
                 r.kind, r.mailbox < 0 ? std::string{"null"} : fmt::format("{}", r.mailbox),
                 r.handled, r.memory, r.state);
}

void append_list(std::string& out, std::string_view key, const std::vector<std::string>& xs) {
  fmt::format_to(std::back_inserter(out), ", \"{}\": [", key);
  for (std::size_t i = 0; i < xs.size(); ++i)
    fmt::format_to(std::back_inserter(out), "{}\"{}\"", i == 0 ? "" : ", ", xs[i]);
  out += "]";
}

void append_relations(std::string& out, const relations& r) {
  append_list(out, "links", r.links);
  append_list(out, "monitors", r.monitors);
  append_list(out, "monitored_by", r.monitored_by);
}

/// What the list knows (kind, memory, the process's state) and its links and monitors.
void append_process(std::string& out, const process_row& row, const relations& r) {
  fmt::format_to(std::back_inserter(out),
                 ", \"kind\": \"{}\", \"memory\": {}, \"process_state\": \"{}\", \"handled\": {}",
                 row.kind, row.memory, row.state, row.handled);
  append_relations(out, r);
}

std::string status_json(const server_status& s, const process_row& row, const relations& r) {
  std::string out = fmt::format("{{\"pid\": \"{}\", \"name\": ", s.pid);
  append_json_string(out, s.name);
  out += ", \"module\": ";
  append_json_string(out, s.module);
  fmt::format_to(std::back_inserter(out),
                 ", \"suspended\": {}, \"trace\": {}, \"trap_exit\": {}, \"mailbox\": {}, "
                 "\"calls\": {}, \"casts\": {}, \"infos\": {}, \"mailbox_limit\": {}, "
                 "\"mailbox_dropped\": {}",
                 s.suspended, s.trace, s.trap_exit, s.mailbox_size, s.calls, s.casts, s.infos,
                 s.mailbox_limit, s.mailbox_dropped);
  append_process(out, row, r);
  out += ", \"state\": ";
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
  auto row = find_row(n, id);
  if (!row)
    return std::nullopt;  // it exited meanwhile
  auto r = relations_of(n, *p);
  if (auto status = sys::get_status(*p, ask_timeout))
    return status_json(*status, *row, r);
  // A plain process (no sys messages), or one too busy to answer in time: what the list has.
  std::string out;
  append_row(out, *row);
  out.pop_back();  // its closing brace
  append_relations(out, r);
  return out + "}\n";
}

}  // namespace otp::observer::detail
