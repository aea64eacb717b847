#include "otp/term/ids.hpp"

#include <algorithm>
#include <map>
#include <mutex>

namespace otp {

std::strong_ordering operator<=>(const erlang_pid& a, const erlang_pid& b) noexcept {
  if (auto c = a.node <=> b.node; c != 0)
    return c;
  if (auto c = a.creation <=> b.creation; c != 0)
    return c;
  if (auto c = a.serial <=> b.serial; c != 0)
    return c;
  return a.id <=> b.id;
}

bool operator==(const erlang_ref& a, const erlang_ref& b) noexcept {
  auto x = a.ids();
  auto y = b.ids();
  return a.node == b.node && a.creation == b.creation
         && std::equal(x.begin(), x.end(), y.begin(), y.end());
}

std::strong_ordering operator<=>(const erlang_ref& a, const erlang_ref& b) noexcept {
  if (auto c = a.node <=> b.node; c != 0)
    return c;
  if (auto c = a.creation <=> b.creation; c != 0)
    return c;
  if (auto c = a.length <=> b.length; c != 0)
    return c;
  auto x = a.ids();
  auto y = b.ids();
  return std::lexicographical_compare_three_way(x.rbegin(), x.rend(), y.rbegin(), y.rend());
}

std::strong_ordering operator<=>(const erlang_port& a, const erlang_port& b) noexcept {
  if (auto c = a.node <=> b.node; c != 0)
    return c;
  if (auto c = a.creation <=> b.creation; c != 0)
    return c;
  return a.id <=> b.id;
}

// -- printing numbers per node ----------------------------------------------------------------

namespace {

struct node_table {
  std::mutex mutex;
  atom local{"nonode@nohost"};
  std::map<atom, std::uint32_t> others;
};

node_table& nodes() {
  static node_table table;
  return table;
}

}  // namespace

void set_local_node(const atom& node) {
  auto& t = nodes();
  std::lock_guard guard{t.mutex};
  t.local = node;
}

atom local_node() {
  auto& t = nodes();
  std::lock_guard guard{t.mutex};
  return t.local;
}

std::uint32_t node_print_index(const atom& node) {
  auto& t = nodes();
  std::lock_guard guard{t.mutex};
  if (node == t.local)
    return 0;
  auto [it, added] = t.others.try_emplace(node, static_cast<std::uint32_t>(t.others.size() + 1));
  return it->second;
}

}  // namespace otp
