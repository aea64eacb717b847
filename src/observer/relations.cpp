#include "observer/relations.hpp"

#include "otp/caf.hpp"
#include "process/process_core.hpp"
#include "runtime/node_access.hpp"

#include <caf/actor_addr.hpp>
#include <caf/default_attachable.hpp>
#include <caf/monitorable_actor.hpp>

#include <fmt/format.h>

#include <mutex>

namespace otp::observer::detail {

namespace {

// -- reaching what CAF 0.17 keeps but does not show -------------------------------------------
//
// The list head and its mutex are protected members: a class derived from CAF's may name them
// as pointers to members of the base. A default_attachable's observer and type are private:
// an explicit instantiation may name private members ([temp.spec.general]), which the usual
// `rob` template turns into a function returning the member pointer. CAF is pinned to 0.17
// (the top-level CMakeLists.txt), so these members are known.

struct actor_members : caf::monitorable_actor {
  static auto head() { return &actor_members::attachables_head_; }
  static auto mutex() { return &actor_members::mtx_; }
};

template <class Tag, typename Tag::type Member>
struct rob {
  friend typename Tag::type member(Tag) { return Member; }
};

struct observer_field {
  using type = caf::actor_addr caf::default_attachable::*;
  friend type member(observer_field);
};
struct type_field {
  using type = caf::default_attachable::observe_type caf::default_attachable::*;
  friend type member(type_field);
};
template struct rob<observer_field, &caf::default_attachable::observer_>;
template struct rob<type_field, &caf::default_attachable::type_>;

struct entry {
  caf::actor_addr observer;
  caf::default_attachable::observe_type type;
};

/// The links and monitors kept in `actor`, copied under its mutex (no call out of it).
std::vector<entry> entries_of(caf::monitorable_actor& actor) {
  std::vector<entry> out;
  std::lock_guard guard{actor.*actor_members::mutex()};
  for (auto* a = (actor.*actor_members::head()).get(); a != nullptr; a = a->next.get())
    if (auto* d = dynamic_cast<caf::default_attachable*>(a))
      out.push_back({d->*member(observer_field{}), d->*member(type_field{})});
  return out;
}

/// Whether `actor` keeps a monitor by `observer`, under its mutex; no copies.
bool monitored_by(caf::monitorable_actor& actor, const caf::actor_addr& observer) {
  std::lock_guard guard{actor.*actor_members::mutex()};
  for (auto* a = (actor.*actor_members::head()).get(); a != nullptr; a = a->next.get())
    if (auto* d = dynamic_cast<caf::default_attachable*>(a))
      if (d->*member(type_field{}) == caf::default_attachable::monitor
          && d->*member(observer_field{}) == observer)
        return true;
  return false;
}

std::string name_of(const caf::actor_addr& a) {
  return fmt::format("<0.{}.0>", a.id());
}

}  // namespace

relations relations_of(const node& n, const pid& p) {
  relations r;
  auto* actor = otp::actor_ptr(p);
  auto* self = dynamic_cast<caf::monitorable_actor*>(actor);
  if (self == nullptr)
    return r;
  for (const auto& e : entries_of(*self))
    (e.type == caf::default_attachable::link ? r.links : r.monitored_by)
      .push_back(name_of(e.observer));
  // Monitors are kept by the monitored: ask every process. The node's lock (taken first) keeps
  // them alive; no code takes it while holding an actor's mutex (CAF calls nothing of ours
  // under it), so the order cannot deadlock.
  auto me = self->address();
  otp::detail::node_access::visit(
    n, [](const std::string&, const pid&) {},
    [&](otp::detail::process_hook& h) {
      auto& core = static_cast<otp::detail::process_core&>(h);
      if (monitored_by(core, me))
        r.monitors.push_back(fmt::format("<0.{}.0>", core.id()));
      return true;
    });
  return r;
}

}  // namespace otp::observer::detail
