#include "otp/observer/process_list.hpp"
#include "otp/caf.hpp"

#include "process/plain_process.hpp"

#include "otp/detail/type_name.hpp"
#include "process/process_core.hpp"
#include "process/server_core.hpp"
#include "runtime/node_access.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_control_block.hpp>
#include <caf/mailbox_element.hpp>

#include <algorithm>
#include <functional>
#include <string_view>
#include <unordered_map>

namespace otp::observer {

using detail::node_access;
using detail::process_core;
using detail::process_hook;
using detail::server_core;

namespace {

using name_table = std::unordered_map<std::uint64_t, std::string>;
using probe = process_core::probe;

/// The module a server was started with, without the library's wrapper.
std::string module_of(const probe& p) {
  if (p.module == nullptr)
    return {};
  auto name = detail::demangle(*p.module);
  constexpr std::string_view wrapper = "otp::detail::server_impl<";
  if (name.starts_with(wrapper) && name.ends_with('>'))
    return name.substr(wrapper.size(), name.size() - wrapper.size() - 1);
  return name;
}

std::string kind_of(const probe& p, std::string_view module) {
  if (p.supervisor)
    return "supervisor";
  if (p.plain)
    return "plain";
  if (p.connection)  // a connection's handler: a socket was attached to it
    return "connection";
  return module == "otp::net::detail::acceptor" ? "acceptor" : "gen_server";
}

/// Running covers runnable: messages are queued, or a thread runs it now.
std::string state_of(const probe& p) {
  if (!p.started)
    return "starting";
  if (p.suspended)
    return "suspended";
  return p.waiting || p.idle ? "waiting" : "running";
}

/// Exact for bounded mailboxes and for empty ones; -1 otherwise.
std::int64_t mailbox_of(const probe& p) {
  if (p.mailbox >= 0)
    return p.mailbox;
  return p.idle ? 0 : -1;
}

std::uint64_t memory_of(const probe& p) {
  std::uint64_t bytes = sizeof(caf::actor_control_block)
                        + (p.plain ? sizeof(detail::plain_process) : sizeof(server_core))
                        + p.state_bytes + p.parked_bytes;
  if (auto queued = mailbox_of(p); queued > 0)
    bytes += static_cast<std::uint64_t>(queued) * sizeof(caf::mailbox_element);
  return bytes;
}

process_row row_of(std::uint64_t id, const probe& p, const name_table& names) {
  auto module = module_of(p);
  process_row row{.pid = id,
                  .kind = kind_of(p, module),
                  .module = module,
                  .mailbox = mailbox_of(p),
                  .handled = p.handled,
                  .memory = memory_of(p),
                  .state = state_of(p)};
  if (auto i = names.find(row.pid); i != names.end())
    row.name = i->second;
  return row;
}

process_row row_of(process_core& core, const name_table& names) {
  return row_of(core.id(), core.read_probe(), names);
}

/// The node's walk, each process as the process_core it is: the node knows its processes only
/// by their hooks, and every process it tracks is a process_core.
void visit_processes(const node& n,
                     const std::function<void(const std::string&, const pid&)>& on_name,
                     const std::function<bool(process_core&)>& f) {
  node_access::visit(n, on_name,
                     [&f](process_hook& h) { return f(static_cast<process_core&>(h)); });
}

/// Visits the processes only (no names).
void each_process(const node& n, const std::function<bool(process_core&)>& f) {
  visit_processes(
    n, [](const std::string&, const pid&) {}, f);
}

/// A pid for `core`, which is alive while the node's lock is held (null once it has exited).
std::optional<pid> pid_of(process_core& core) {
  if (auto handle = caf::actor_cast<caf::actor>(core.address()))
    return otp::to_pid(handle);
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
  visit_processes(n, remember_name(names), [&](process_core& core) {
    ++page.total;
    if (index++ >= req.offset && page.rows.size() < req.limit)
      page.rows.push_back(row_of(core, names));
    return true;
  });
  return page;
}

/// A process's sort key, pid and what its row needs: taken in the one walk.
struct keyed {
  std::int64_t key;
  std::uint64_t pid;
  probe seen;
};

std::int64_t key_of(std::uint64_t id, const probe& p, sort_key sort) {
  switch (sort) {
    case sort_key::mailbox:
      return mailbox_of(p);
    case sort_key::handled:
      return static_cast<std::int64_t>(p.handled);
    case sort_key::memory:
      return static_cast<std::int64_t>(memory_of(p));
    default:
      return static_cast<std::int64_t>(id);
  }
}

/// Sorted by anything but start order, in one walk: keeps the first offset + limit processes
/// in a heap (its top the last of them), so the walk costs O(n log(offset + limit)) and holds
/// offset + limit entries, never a copy of every process.
process_page page_by_key(const node& n, const page_request& req) {
  auto before = [&req](const keyed& a, const keyed& b) {
    if (a.key != b.key)
      return req.descending ? a.key > b.key : a.key < b.key;
    return a.pid < b.pid;
  };
  auto wanted = req.offset + req.limit;
  std::vector<keyed> heap;
  process_page page;
  name_table names;
  visit_processes(n, remember_name(names), [&](process_core& core) {
    ++page.total;
    if (wanted == 0)
      return true;
    auto p = core.read_probe();
    keyed entry{key_of(core.id(), p, req.sort), core.id(), p};
    if (heap.size() < wanted) {
      heap.push_back(entry);
      std::push_heap(heap.begin(), heap.end(), before);
    } else if (before(entry, heap.front())) {
      std::pop_heap(heap.begin(), heap.end(), before);
      heap.back() = entry;
      std::push_heap(heap.begin(), heap.end(), before);
    }
    return true;
  });
  std::sort_heap(heap.begin(), heap.end(), before);
  for (auto i = req.offset; i < heap.size(); ++i)
    page.rows.push_back(row_of(heap[i].pid, heap[i].seen, names));
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
  else if (text == "memory")
    out = sort_key::memory;
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
  each_process(n, [&](process_core& core) {
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
  each_process(n, [&](process_core& core) {
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
  visit_processes(n, remember_name(names), [&](process_core& core) {
    if (core.id() != id)
      return true;
    result = row_of(core, names);
    return false;
  });
  return result;
}

process_totals total_processes(const node& n) {
  process_totals t;
  each_process(n, [&](process_core& core) {
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
