#include "otp/observer/process_list.hpp"

#include "otp/detail/node_access.hpp"
#include "otp/detail/server_core.hpp"

#include <caf/actor_cast.hpp>

#include <algorithm>
#include <functional>
#include <unordered_map>

namespace otp::observer {

using detail::node_access;
using detail::process_hook;
using detail::server_core;

namespace {

using name_table = std::unordered_map<std::uint64_t, std::string>;

std::string kind_of(const server_core::probe& p) {
  if (p.supervisor)
    return "supervisor";
  return p.plain ? "plain" : "gen_server";
}

std::string state_of(const server_core::probe& p) {
  if (!p.started)
    return "starting";
  return p.waiting ? "waiting" : "idle";
}

process_row row_of(server_core& core, const name_table& names) {
  auto p = core.read_probe();
  process_row row{.pid = core.id(),
                  .kind = kind_of(p),
                  .mailbox = p.mailbox,
                  .handled = p.handled,
                  .state = state_of(p)};
  if (auto i = names.find(row.pid); i != names.end())
    row.name = i->second;
  return row;
}

/// The node's walk, each process as the server_core it is: the node knows its processes only
/// by their hooks, and every process it tracks is a server_core.
void visit_processes(const node& n,
                     const std::function<void(const std::string&, const pid&)>& on_name,
                     const std::function<bool(server_core&)>& f) {
  node_access::visit(n, on_name, [&f](process_hook& h) { return f(static_cast<server_core&>(h)); });
}

/// Visits the processes only (no names).
void each_process(const node& n, const std::function<bool(server_core&)>& f) {
  visit_processes(
    n, [](const std::string&, const pid&) {}, f);
}

/// A pid for `core`, which is alive while the node's lock is held (null once it has exited).
std::optional<pid> pid_of(server_core& core) {
  if (auto handle = caf::actor_cast<caf::actor>(core.address()))
    return pid{std::move(handle)};
  return std::nullopt;
}

auto remember_name(name_table& names) {
  return [&names](const std::string& name, const pid& who) { names.emplace(who.id(), name); };
}

/// In start order (when init returned: a supervisor after its children), the list's own: skip
/// to the page.
process_page page_by_start(const node& n, const page_request& req) {
  process_page page;
  name_table names;
  std::size_t index = 0;
  visit_processes(n, remember_name(names), [&](server_core& core) {
    ++page.total;
    if (index++ >= req.offset && page.rows.size() < req.limit)
      page.rows.push_back(row_of(core, names));
    return true;
  });
  return page;
}

struct keyed {
  std::int64_t key;
  std::uint64_t pid;
};

std::int64_t key_of(server_core& core, sort_key sort) {
  if (sort == sort_key::pid || sort == sort_key::start)
    return static_cast<std::int64_t>(core.id());
  auto p = core.read_probe();
  return sort == sort_key::mailbox ? p.mailbox : static_cast<std::int64_t>(p.handled);
}

/// Sorted by a counter: copy (key, pid) of every process, select the page, then read the
/// page's rows in a second, short walk.
process_page page_by_key(const node& n, const page_request& req) {
  process_page page;
  std::vector<keyed> keys;
  keys.reserve(n.process_count());
  each_process(n, [&](server_core& core) {
    keys.push_back({key_of(core, req.sort), core.id()});
    return true;
  });
  page.total = keys.size();
  if (req.offset >= keys.size())
    return page;
  auto end = std::min(keys.size(), req.offset + req.limit);
  auto before = [&](const keyed& a, const keyed& b) {
    if (a.key != b.key)
      return req.descending ? a.key > b.key : a.key < b.key;
    return a.pid < b.pid;
  };
  std::partial_sort(keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(end), keys.end(),
                    before);
  std::unordered_map<std::uint64_t, std::size_t> wanted;
  for (auto i = req.offset; i < end; ++i)
    wanted.emplace(keys[i].pid, i - req.offset);
  page.rows.resize(end - req.offset);
  name_table names;
  visit_processes(n, remember_name(names), [&](server_core& core) {
    if (auto i = wanted.find(core.id()); i != wanted.end())
      page.rows[i->second] = row_of(core, names);
    return true;
  });
  // A process that exited between the walks leaves an empty row: drop it.
  std::erase_if(page.rows, [](const process_row& r) { return r.pid == 0; });
  return page;
}

}  // namespace

bool parse_sort_key(std::string_view text, sort_key& out) {
  if (text == "pid" || text.empty())
    out = sort_key::pid;
  else if (text == "start")
    out = sort_key::start;
  else if (text == "handled")
    out = sort_key::handled;
  else if (text == "mailbox")
    out = sort_key::mailbox;
  else
    return false;
  return true;
}

process_page list_processes(const node& n, const page_request& req) {
  if (req.sort == sort_key::start && !req.descending)
    return page_by_start(n, req);
  return page_by_key(n, req);
}

std::vector<pid> supervisors(const node& n) {
  std::vector<pid> result;
  each_process(n, [&](server_core& core) {
    if (core.read_probe().supervisor)
      if (auto p = pid_of(core))
        result.push_back(std::move(*p));
    return true;
  });
  // The walk is in the order inits returned, a supervisor after its children; pids are
  // allocated at spawn, a parent before its children.
  std::sort(result.begin(), result.end(),
            [](const pid& a, const pid& b) { return a.id() < b.id(); });
  return result;
}

std::optional<pid> find_process(const node& n, std::uint64_t id) {
  std::optional<pid> result;
  each_process(n, [&](server_core& core) {
    if (core.id() != id)
      return true;
    result = pid_of(core);
    return false;
  });
  return result;
}

std::optional<process_row> find_row(const node& n, std::uint64_t id) {
  std::optional<process_row> result;
  name_table names;
  visit_processes(n, remember_name(names), [&](server_core& core) {
    if (core.id() != id)
      return true;
    result = row_of(core, names);
    return false;
  });
  return result;
}

process_totals total_processes(const node& n) {
  process_totals t;
  each_process(n, [&](server_core& core) {
    auto p = core.read_probe();
    ++t.processes;
    t.handled += p.handled;
    if (p.mailbox >= 0) {
      ++t.mailboxes_known;
      t.mailbox_sum += static_cast<std::uint64_t>(p.mailbox);
      t.mailbox_max = std::max(t.mailbox_max, p.mailbox);
      for (std::size_t i = 0; i < std::size(process_totals::bounds); ++i)
        if (p.mailbox <= process_totals::bounds[i])
          ++t.buckets[i];
    }
    return true;
  });
  return t;
}

}  // namespace otp::observer
