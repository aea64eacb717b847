#include "dist/erlang/remote_process.hpp"

#include "dist/erlang/control.hpp"
#include "dist/erlang/kernel.hpp"

#include "otp/detail/waiting_process.hpp"
#include "otp/dist/term_types.hpp"
#include "process/process_core.hpp"
#include "runtime/caf_error.hpp"

#include <caf/actor_cast.hpp>
#include <caf/default_attachable.hpp>
#include <caf/make_actor.hpp>
#include <caf/sec.hpp>
#include <caf/system_messages.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <typeindex>

namespace otp::dist::erlang {

namespace {

using caf::default_attachable;

std::atomic<std::uint64_t> next_proxy_id{1};

/// A CAF node id for an Erlang node incarnation: not ours, the same for all its processes.
caf::node_id node_id_of(const erlang_pid& p) {
  caf::node_id::default_data::host_id_type host{};
  auto h = std::hash<std::string_view>{}(p.node.name());
  for (std::size_t i = 0; i < sizeof h && i < host.size(); ++i)
    host[i] = static_cast<std::uint8_t>(h >> (8 * i));
  host[host.size() - 1] = 0xe7;  // never a CAF host's hash of its own
  return caf::make_node_id(p.creation, host);
}

caf::strong_actor_ptr strong(caf::abstract_actor* x) {
  return x != nullptr ? caf::strong_actor_ptr{x->ctrl()} : nullptr;
}

}  // namespace

remote_process::remote_process(caf::actor_config& cfg, std::shared_ptr<kernel_lifeline> line,
                               std::shared_ptr<local_pids> pids, std::shared_ptr<send_gate> gate,
                               std::shared_ptr<pending_calls> calls, erlang_pid p)
  : caf::actor_proxy(cfg),
    line_(std::move(line)),
    pids_(std::move(pids)),
    gate_(std::move(gate)),
    calls_(std::move(calls)),
    pid_(std::move(p)),
    identity_{pid_.node.name(), node_print_index(pid_.node), pid_.id, pid_.serial, pid_.creation} {}

remote_process::~remote_process() = default;

// -- what our processes do to it ------------------------------------------------------------------

void remote_process::enqueue(caf::mailbox_element_ptr what, caf::execution_unit*) {
  if (!what || getf(is_terminated_flag))
    return;  // its node is gone: dropped, as a message to a dead process
  auto& content = what->content();
  if (content.match_elements<caf::exit_msg>()) {
    // A linked process of ours exiting reaches it as EXIT (the link goes with it); a process
    // that calls otp::exit(pid, Reason) while it runs, as EXIT2 (exit/2), links untouched. A
    // process that exits is told apart by its terminated flag, set before its links fire.
    const auto& signal = content.get_as<caf::exit_msg>(0);
    auto source = caf::actor_cast<caf::strong_actor_ptr>(signal.source);
    auto* src = caf::actor_cast<caf::abstract_actor*>(source);
    // No source: otp::exit from a plain thread, EXIT2 from our null pid.
    bool exiting = signal.source && (src == nullptr || src->getf(is_terminated_flag));
    bool linked = false;
    if (exiting) {
      default_attachable::observe_token tk{signal.source, default_attachable::link};
      linked = exclusive_critical_section([&] { return detach_impl(tk, true) > 0; });
    }
    // exit(Pid, kill) kills it (Erlang makes it `killed`); over a link, `killed` already.
    if (exiting && !linked)
      return;  // a link its EXIT already ended: nobody to tell (that process is gone)
    auto as_term = !linked && otp::detail::is_kill(signal.reason)
                     ? term::make_atom("kill")
                     : reason_term(otp::detail::from_caf_error(signal.reason));
    auto id = signal.source ? signal.source.id() : 0;
    auto from = id != 0 ? pids_->erlang_of(id) : pids_->null_pid();
    auto body = encode_control(exit_msg{from, pid_, std::move(as_term), !linked});
    with_kernel([&](distribution::impl& k) {
      k.process_control(strong(this), std::move(body), nullptr, {});
    });
    return;
  }
  // A message: its term, to SEND_SENDER. The type is known only here, at run time
  // (term_types.hpp): one without a term form is refused, logged, never sent.
  std::optional<term> message;
  if (content.size() == 1)
    message =
      otp::dist::detail::boxed_to_term(std::type_index{*content.type(0).second}, content.get(0));
  if (!message) {
    auto type = content.size() == 1 ? otp::detail::demangle(*content.type(0).second)
                                    : std::string{"a request or a system message"};
    with_kernel([&](distribution::impl& k) {
      k.node_.logger().log(log_level::warning, "dist",
                           "message to {} refused: {} has no term form (otp::dist::add_term_type, "
                           "message_types::add_term)",
                           pid_, type);
    });
    if (what->mid.is_request())
      bounce(what, caf::make_error(caf::sec::unexpected_message));
    return;
  }
  send_term(std::move(*message), what->sender);
}

void remote_process::send_term(term message, const caf::strong_actor_ptr& sender) {
  // The sender as Erlang sees it, which it may answer: one of our processes (`self()`), or
  // our null pid for a plain thread.
  auto from =
    sender && pids_->is_home(*sender) ? pids_->expose(otp::to_pid(sender)) : pids_->null_pid();
  auto body = encode_control(send_msg{from, pid_, std::move(message)});
  // Back-pressure as for the distribution's own sends: a process waits (parks) while the
  // channels are over their limit; never under the lifeline's lock.
  bool gated = otp::detail::waiting_process::current() != nullptr;
  auto size = body.size();
  if (gated)
    gate_->enter(size);
  if (!with_kernel(
        [&](distribution::impl& k) { k.send_counted(pid_.node.name(), std::move(body), gated); })
      && gated)
    gate_->left(size);
}

bool remote_process::add_backlink(caf::abstract_actor* x) {
  // Under both actors' locks (CAF's add_link): nothing here waits or locks an actor.
  if (!caf::actor_proxy::add_backlink(x))
    return false;
  auto body = encode_control(link_msg{pids_->erlang_of(x->id()), pid_});
  with_kernel([&](distribution::impl& k) {
    k.process_control(strong(this), std::move(body), strong(x), {});
  });
  return true;
}

bool remote_process::remove_backlink(caf::abstract_actor* x) {
  if (!caf::actor_proxy::remove_backlink(x))
    return false;  // no link left (its EXIT removed it): nothing to tell
  with_kernel([&](distribution::impl& k) {
    auto body =
      encode_control(unlink_id_msg{k.next_ref_.fetch_add(1), pids_->erlang_of(x->id()), pid_});
    k.process_control(strong(this), std::move(body), nullptr, {});
  });
  return true;
}

void remote_process::attach(caf::attachable_ptr ptr) {
  // `otp::monitor(pid)` attaches CAF's monitor for the calling process; anything else (an
  // exit functor, await_exit's watch) stays here and fires when the node goes.
  auto* self = otp::detail::process_core::current();
  if (ptr == nullptr || self == nullptr
      || !ptr->matches(
        default_attachable::observe_token{self->address(), default_attachable::monitor})) {
    caf::actor_proxy::attach(std::move(ptr));
    return;
  }
  auto observer = pids_->erlang_of(self->id());
  std::optional<erlang_ref> ref;
  with_kernel([&](distribution::impl& k) { ref = k.new_ref(); });
  caf::error gone = otp::detail::to_caf_error(exit_reason::noconnection());
  if (ref) {
    // Never an actor's lock and the lifeline's at once here: CAF's link code holds actors'
    // locks when it calls add_backlink, which takes the lifeline's.
    std::lock_guard guard{mtx_};
    if (getf(is_terminated_flag))
      gone = fail_state_;
    else
      monitors_.push_back(monitor{*ref, std::move(ptr), observer});
  }
  if (ptr != nullptr) {  // its node is gone, or the distribution: the down at once
    ptr->actor_exited(gone, nullptr);
    return;
  }
  auto body = encode_control(monitor_msg{observer, term{pid_}, *ref, false});
  if (!with_kernel([&](distribution::impl& k) {
        k.process_control(strong(this), std::move(body), strong(self), ref);
      }))
    kill_proxy(nullptr, gone);
}

size_t remote_process::detach(const caf::attachable::token& what) {
  std::vector<monitor> gone;
  {
    std::lock_guard guard{mtx_};
    for (auto it = monitors_.begin(); it != monitors_.end();) {
      if (it->down->matches(what)) {
        gone.push_back(std::move(*it));
        it = monitors_.erase(it);
      } else {
        ++it;
      }
    }
  }
  if (gone.empty())
    return caf::actor_proxy::detach(what);
  for (auto& m : gone) {
    auto body = encode_control(monitor_msg{m.observer, term{pid_}, m.ref, true});
    with_kernel([&](distribution::impl& k) {
      k.process_control(strong(this), std::move(body), nullptr, m.ref, true);
    });
  }
  return gone.size();
}

void remote_process::kill_proxy(caf::execution_unit* host, caf::error reason) {
  std::vector<monitor> gone;
  {
    std::lock_guard guard{mtx_};
    gone.swap(monitors_);
  }
  auto copy = reason;
  cleanup(std::move(reason), host);  // links and exit functors
  for (auto& m : gone)
    m.down->actor_exited(copy, host);
}

bool remote_process::unused() {
  // Only the table's reference: no pid of it is held (nobody can make one but through the
  // table, under its lock), no monitor of ours waits for its exit, no message to it is on
  // its way (a posted wire operation holds it too). Nor an address of it (CAF's one weak
  // reference stands for all strong ones): a down or exit signal from it on its way, whose
  // receiver makes a pid of it, or the other side of a link.
  const auto* block = ctrl();
  if (block->strong_refs.load(std::memory_order_acquire) != 1
      || block->weak_refs.load(std::memory_order_acquire) != 1)
    return false;
  // Nor a link (either side's), an exit watch, a monitor: their state lives here.
  std::lock_guard guard{mtx_};
  return attachables_head_ == nullptr && monitors_.empty();
}

// -- what its node tells us -----------------------------------------------------------------------

void remote_process::monitor_exited(const erlang_ref& ref, const caf::error& reason) {
  caf::attachable_ptr down;
  {
    std::lock_guard guard{mtx_};
    for (auto it = monitors_.begin(); it != monitors_.end(); ++it) {
      if (it->ref == ref) {
        down = std::move(it->down);
        monitors_.erase(it);
        break;
      }
    }
  }
  if (down)
    down->actor_exited(reason, nullptr);
}

void remote_process::link_exited(caf::abstract_actor* local, caf::error reason) {
  default_attachable::observe_token tk{local->address(), default_attachable::link};
  exclusive_critical_section([&] { return detach_impl(tk, true); });
  // As a linked process of ours exiting: the exit_msg from this actor (CAF unlinks our side
  // when it handles it; our remove_backlink then finds nothing and sends nothing).
  local->enqueue(ctrl(), caf::make_message_id(),
                 caf::make_message(caf::exit_msg{address(), std::move(reason)}), nullptr);
}

// -- the distribution's table of them
// ---------------------------------------------------------------

pid distribution::impl::process(const erlang_pid& p) {
  if (pids_->is_ours(p)) {
    auto local = pids_->find(p);
    return local ? *local : pid{};
  }
  std::lock_guard guard{procs_mtx_};
  if (!procs_.contains(p) && procs_.size() >= release_at_) {
    // Amortised: a sweep when the table has doubled since the last one keeps it within twice
    // the proxies in use (plus the floor), at O(1) a new proxy.
    release_unused();
    release_at_ = std::max(release_floor, 2 * procs_.size());
  }
  auto& slot = procs_[p];
  if (!slot) {
    auto& sys = node_.system();
    caf::actor_config cfg;
    slot = caf::make_actor<remote_process, caf::strong_actor_ptr>(
      otp::detail::foreign_id_bit | next_proxy_id.fetch_add(1), node_id_of(p), &sys, cfg, lifeline_,
      pids_, config_.queued, pending_, p);
  }
  return otp::to_pid(slot);
}

void distribution::impl::release_unused() {
  std::erase_if(procs_, [](const auto& entry) {
    return static_cast<remote_process*>(caf::actor_cast<caf::abstract_actor*>(entry.second))
      ->unused();
  });
}

caf::strong_actor_ptr distribution::impl::find_process(const erlang_pid& p) {
  std::lock_guard guard{procs_mtx_};
  auto it = procs_.find(p);
  return it != procs_.end() ? it->second : nullptr;
}

void distribution::impl::process_control(caf::strong_actor_ptr proxy,
                                         std::vector<std::uint8_t> body, caf::strong_actor_ptr ours,
                                         std::optional<erlang_ref> monitor, bool demonitor) {
  post_outgoing([this, proxy = std::move(proxy), body = std::move(body), ours = std::move(ours),
                 monitor = std::move(monitor), demonitor]() mutable {
    if (ours)
      pids_->expose(otp::to_pid(ours));  // Erlang may now address it (EXIT, MONITOR_P_EXIT)
    if (monitor) {
      if (demonitor)
        proc_monitors_.erase(*monitor);
      else
        proc_monitors_[*monitor] = proxy;
    }
    auto* p = static_cast<remote_process*>(caf::actor_cast<caf::abstract_actor*>(proxy));
    const auto& node_name = p->erlang_id().node.name();
    auto c = connection_to(node_name, node_name);
    if (c) {
      c->send(std::move(body));
      return;
    }
    if (!demonitor)
      lose_process(proxy);
  });
}

void distribution::impl::lose_process(const caf::strong_actor_ptr& proxy) {
  auto* p = static_cast<remote_process*>(caf::actor_cast<caf::abstract_actor*>(proxy));
  {
    std::lock_guard guard{procs_mtx_};
    if (auto it = procs_.find(p->erlang_id()); it != procs_.end() && it->second == proxy)
      procs_.erase(it);
  }
  std::erase_if(proc_monitors_, [&](const auto& m) { return m.second == proxy; });
  p->kill_proxy(nullptr, otp::detail::to_caf_error(exit_reason::noconnection()));
}

void distribution::impl::processes_lost(const std::string& node_name) {
  // As Erlang: every link to a process of the lost node is an exit signal `noconnection`,
  // every monitor a down with `noconnection`.
  std::vector<caf::strong_actor_ptr> lost;
  {
    std::lock_guard guard{procs_mtx_};
    for (auto it = procs_.begin(); it != procs_.end();) {
      if (node_name.empty() || it->first.node.name() == node_name) {
        lost.push_back(std::move(it->second));
        it = procs_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (const auto& p : lost)
    lose_process(p);
}

}  // namespace otp::dist::erlang
