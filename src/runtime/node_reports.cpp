#include "runtime/node_reports.hpp"

#include <map>
#include <memory>
#include <mutex>

namespace otp::detail {

namespace {

struct reporters {
  std::shared_ptr<const dist_reporter> dist;
  std::shared_ptr<const listener_reporter> listeners;
};

// Keyed by node: the node's own header stays as it is (every file includes it), and a node
// has at most a few reporters. Entries are cleared by the layers that set them.
std::mutex registry_mutex;
std::map<const node*, reporters> registry;

template <class F>
void set(const node& n, std::shared_ptr<const F> reporters::*slot, F f) {
  std::lock_guard guard{registry_mutex};
  auto& r = registry[&n];
  r.*slot = f ? std::make_shared<const F>(std::move(f)) : nullptr;
  if (!r.dist && !r.listeners)
    registry.erase(&n);
}

/// A copy of the reporter, so that it runs outside the registry's lock.
template <class F>
std::shared_ptr<const F> get(const node& n, std::shared_ptr<const F> reporters::*slot) {
  std::lock_guard guard{registry_mutex};
  auto i = registry.find(&n);
  return i == registry.end() ? nullptr : i->second.*slot;
}

}  // namespace

void set_dist_reporter(const node& n, dist_reporter f) {
  set(n, &reporters::dist, std::move(f));
}

void set_listener_reporter(const node& n, listener_reporter f) {
  set(n, &reporters::listeners, std::move(f));
}

std::optional<dist_report> report_dist(const node& n) {
  if (auto f = get(n, &reporters::dist))
    return (*f)();
  return std::nullopt;
}

std::vector<listener_report> report_listeners(const node& n) {
  if (auto f = get(n, &reporters::listeners))
    return (*f)();
  return {};
}

}  // namespace otp::detail
