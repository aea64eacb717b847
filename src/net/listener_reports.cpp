#include "net/listener_reports.hpp"

#include "net/listener_shared.hpp"
#include "runtime/node_reports.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

namespace otp::net::detail {

namespace {

struct entry {
  const listener_shared* shared;
  std::string name;
  /// The time at the limit last reported: a read taken just as the owner left the limit may
  /// count past the moment it left, and a counter must not go back.
  std::int64_t full_reported = 0;
};

// The node's reporter reads its listeners under this lock, and a listener leaves under it
// before its state is destroyed: the reporter never reads a listener that is gone. Held for a
// few atomic loads and two getsockopt calls per listen socket.
std::mutex registry_mutex;
std::map<const node*, std::vector<entry>> registry;

otp::detail::listener_report report_of(entry& e) {
  const auto& s = *e.shared;
  const auto& f = s.figures;
  e.full_reported = std::max(e.full_reported, f.at_limit.at(full_time::now()));
  otp::detail::listener_report r{
    .name = e.name,
    .connections = f.connections.load(std::memory_order_relaxed),
    .free_acceptors = f.free_acceptors.load(std::memory_order_relaxed),
    .max_connections = s.options.max_connections == unlimited
                         ? std::nullopt
                         : std::optional{s.options.max_connections},
    .accepted = f.accepted.load(std::memory_order_relaxed),
    .limit_reached = f.limit_reached.load(std::memory_order_relaxed),
    .full_time = std::chrono::nanoseconds{e.full_reported},
  };
  for (const auto& socket : s.sockets) {
    auto b = socket->backlog();
    r.queued += b.queued;
    r.backlog_drops += b.dropped;
  }
  return r;
}

std::vector<otp::detail::listener_report> collect(const node* n) {
  std::vector<otp::detail::listener_report> out;
  std::lock_guard lock{registry_mutex};
  if (auto i = registry.find(n); i != registry.end())
    for (auto& e : i->second)
      out.push_back(report_of(e));
  return out;
}

}  // namespace

listener_reporting::listener_reporting(const node& n, const listener_shared& shared,
                                       std::string name)
  : node_(&n), shared_(&shared) {
  std::lock_guard lock{registry_mutex};
  auto& listeners = registry[node_];
  if (listeners.empty())
    otp::detail::set_listener_reporter(n, [np = node_] { return collect(np); });
  listeners.push_back(entry{shared_, std::move(name)});
}

listener_reporting::~listener_reporting() {
  std::lock_guard lock{registry_mutex};
  auto i = registry.find(node_);
  if (i == registry.end())
    return;
  std::erase_if(i->second, [this](const entry& e) { return e.shared == shared_; });
  if (i->second.empty()) {
    registry.erase(i);
    otp::detail::set_listener_reporter(*node_, {});
  }
}

}  // namespace otp::net::detail
