// What a process of ours does to processes of other nodes: monitors (by name or pid), links
// (through the process's pid, remote_process.hpp), monitor_node and gen_server calls. Each posts
// its control message to the I/O thread (kernel.cpp), which keeps what must be answered later: the
// monitors we hold, the links to signal when our process exits, the processes to tell of a
// nodedown, the calls waiting.

#include "dist/erlang/kernel.hpp"
#include "dist/erlang/node_name.hpp"

#include "otp/detail/waiting_process.hpp"
#include "otp/process.hpp"
#include "process/process_core.hpp"

#include <fmt/format.h>

#include <stdexcept>

namespace otp::dist::erlang {

namespace {

pid calling_process(const char* what) {
  auto* core = otp::detail::process_core::current();
  if (core == nullptr)
    throw std::logic_error(fmt::format("{} needs a calling process", what));
  return core->pid_of_self();
}

call_error down_error(const term& reason) {
  if (reason.is_atom("noproc"))
    return call_error{call_error::kind::noproc};
  return call_error{call_error::kind::exited, reason_of(reason)};
}

std::string full_name(std::string_view node_name) {
  auto address = parse_node_address(node_name);
  return address ? address->name : std::string{node_name};
}

}  // namespace

erlang_ref distribution::impl::new_ref() {
  auto n = next_ref_.fetch_add(1);
  return erlang_ref{atom{config_.self.name},
                    config_.self.creation,
                    {static_cast<std::uint32_t>(n & 0x3ffff), static_cast<std::uint32_t>(n >> 18),
                     static_cast<std::uint32_t>(n >> 50), 0, 0},
                    3};
}

std::shared_ptr<connection> distribution::impl::connection_to(const std::string& full,
                                                              const std::string& text) {
  auto it = connections_.find(full);
  return it != connections_.end() ? it->second : stopped_ ? nullptr : dial(text);
}

void distribution::impl::hold_monitor(const erlang_ref& ref, held_monitor m, std::string text,
                                      term wire_target) {
  auto body = encode_control(monitor_msg{m.owner, std::move(wire_target), ref, false});
  post_outgoing(
    [this, ref, m = std::move(m), text = std::move(text), body = std::move(body)]() mutable {
      auto c = connection_to(m.node, text);
      held_[ref] = std::move(m);
      if (c)
        c->send(std::move(body));
      else
        monitor_fired(ref, term::make_atom("noconnection"));
    });
}

erlang_ref distribution::monitor(std::string_view name, std::string_view node_name) {
  auto owner = impl_->pids_->expose(calling_process("erlang::distribution::monitor"));
  auto ref = impl_->new_ref();
  auto full = full_name(node_name);
  impl_->hold_monitor(
    ref,
    impl::held_monitor{owner, full, term::tuple({term::make_atom(name), term::make_atom(full)})},
    std::string{node_name}, term::make_atom(name));
  return ref;
}

erlang_ref distribution::monitor(const erlang_pid& target) {
  auto owner = impl_->pids_->expose(calling_process("erlang::distribution::monitor"));
  auto ref = impl_->new_ref();
  const auto& node_name = target.node.name();
  impl_->hold_monitor(ref, impl::held_monitor{owner, node_name, term{target}}, node_name,
                      term{target});
  return ref;
}

void distribution::demonitor(const erlang_ref& ref) {
  impl_->drop_monitor(ref);
}

void distribution::impl::drop_monitor(const erlang_ref& ref) {
  auto* i = this;
  i->post_outgoing([i, ref] {
    auto it = i->held_.find(ref);
    if (it == i->held_.end())
      return;
    auto m = std::move(it->second);
    i->held_.erase(it);
    auto c = i->connections_.find(m.node);
    if (c == i->connections_.end())
      return;
    // DEMONITOR_P names the target as MONITOR_P did: the name alone, or the pid.
    auto wire_target = m.target.is_tuple() ? m.target[0] : m.target;
    c->second->send(encode_control(monitor_msg{m.owner, wire_target, ref, true}));
  });
}

void distribution::link(const erlang_pid& remote) {
  calling_process("erlang::distribution::link");
  // The remote process's pid (its proxy): LINK on the wire, and CAF's link machinery for the
  // rest (its EXIT, its node's loss, our exit), as `otp::link` on that pid.
  otp::link(impl_->process(remote));
}

void distribution::unlink(const erlang_pid& remote) {
  calling_process("erlang::distribution::unlink");
  otp::unlink(impl_->process(remote));
}

pid distribution::process(const erlang_pid& p) {
  return impl_->process(p);
}

void distribution::monitor_node(std::string_view node_name) {
  auto self = calling_process("erlang::distribution::monitor_node");
  auto* i = impl_.get();
  i->post([i, self, full = full_name(node_name), text = std::string{node_name}] {
    i->node_watchers_.emplace(full, self);
    if (!i->connection_to(full, text))
      i->fire_node_watchers(full);  // a name we cannot dial: nodedown at once, as Erlang
  });
}

namespace {

term gen_call_message(const erlang_pid& from, const erlang_ref& ref, term request) {
  return term::tuple(
    {term::make_atom("$gen_call"), term::tuple({term{from}, term{ref}}), std::move(request)});
}

}  // namespace

std::shared_ptr<connection> distribution::impl::start_call(const call_target& to,
                                                           const erlang_pid& from,
                                                           const erlang_ref& ref, term request) {
  auto message = gen_call_message(from, ref, std::move(request));
  auto body = to.wire.is_atom()
                ? encode_control(reg_send_msg{from, *to.wire.get_if<atom>(), std::move(message)})
                : encode_control(send_msg{from, *to.wire.get_if<erlang_pid>(), std::move(message)});
  if (auto c = direct(to.node)) {
    std::vector<std::uint8_t> bodies[] = {encode_control(monitor_msg{from, to.wire, ref, false}),
                                          std::move(body)};
    if (c->write(bodies))
      return c;
    body = std::move(bodies[1]);
  }
  // Queued behind the monitor (post_outgoing keeps the order): its DOWN, if the target is
  // gone, comes before any answer could.
  hold_monitor(ref, held_monitor{from, to.node, to.down}, to.text, to.wire);
  send_counted(to.text, std::move(body), false);
  return nullptr;
}

expected<term, call_error> distribution::call(std::string_view name, std::string_view node_name,
                                              term request, otp::timeout t) {
  auto* i = impl_.get();
  auto from = i->sender_pid();
  auto ref = i->new_ref();
  auto full = full_name(node_name);
  // Registered before anything is sent: the answer, or the monitor's DOWN, goes to this wait
  // and never to the mailbox. Whatever ends the wait (an answer, the timeout, the caller
  // killed), the entry and the monitor go with it.
  auto slot = i->pending_->add(ref, otp::detail::waiting_process::current(), full);
  if (auto c = i->direct(full)) {
    // Connected: MONITOR_P and the request leave in one write from this thread, and the
    // monitor is the call's own (its exit fails the call through `pending_`, not `held_`).
    std::vector<std::uint8_t> bodies[] = {
      encode_control(monitor_msg{from, term::make_atom(name), ref, false}),
      encode_control(reg_send_msg{from, atom{name}, gen_call_message(from, ref, request)})};
    if (c->write(bodies))
      return i->await_direct_call(impl::direct_call{*c, name, from, ref}, slot, t);
  }
  struct leave {
    distribution& d;
    impl& i;
    const erlang_ref& ref;
    const std::shared_ptr<pending_calls::slot>& slot;
    ~leave() {
      (void)i.pending_->take(ref, slot);
      d.demonitor(ref);  // nothing when the DOWN ended the call
    }
  } guard{*this, *i, ref, slot};
  i->hold_monitor(
    ref,
    impl::held_monitor{from, full, term::tuple({term::make_atom(name), term::make_atom(full)})},
    std::string{node_name}, term::make_atom(name));
  send(name, node_name, gen_call_message(from, ref, std::move(request)));
  i->pending_->wait(slot, t);
  auto answer = i->pending_->take(ref, slot);
  if (!answer)
    return unexpected{call_error{call_error::kind::timeout}};
  return std::move(*answer);
}

expected<term, call_error> distribution::impl::await_direct_call(
  const direct_call& call, const std::shared_ptr<pending_calls::slot>& slot, otp::timeout t) {
  std::optional<pending_calls::result> answer;
  {
    // However the wait ends (an answer, the timeout, the caller killed), the entry goes and,
    // unless the monitor's exit ended the call, DEMONITOR_P follows, as gen:call's.
    struct leave {
      impl& i;
      const direct_call& call;
      const std::shared_ptr<pending_calls::slot>& slot;
      std::optional<pending_calls::result>& answer;
      ~leave() {
        answer = i.pending_->take(call.ref, slot);
        if (answer && !*answer)
          return;  // the DOWN (or the connection's loss) ended it: no monitor is left
        try {
          // It rides with the next packet to that node (the next call's, usually).
          call.via.defer(
            encode_control(monitor_msg{call.from, term::make_atom(call.name), call.ref, true}));
        } catch (const std::exception&) {
          // Out of memory: the peer keeps a monitor whose exit we ignore.
        }
      }
    } guard{*this, call, slot, answer};
    pending_->wait(slot, t);
  }
  if (!answer)
    return unexpected{call_error{call_error::kind::timeout}};
  return std::move(*answer);
}

// -- the I/O thread -----------------------------------------------------------------------------

bool distribution::impl::answer_call(const term& message) {
  if (!message.is_tuple() || message.size() != 2)
    return false;
  auto* ref = message[0].get_if<erlang_ref>();
  return ref != nullptr && complete_call(*ref, message[1]);
}

bool distribution::impl::fail_call(const erlang_ref& ref, const term& reason,
                                   std::string_view from) {
  return complete_call(ref, unexpected{down_error(reason)}, from);
}

bool distribution::impl::complete_call(const erlang_ref& ref, pending_calls::result r,
                                       std::string_view from) {
  auto* ctx = inline_turn();
  caf::strong_actor_ptr claimed;
  if (!pending_->complete(ref, std::move(r), from, ctx != nullptr ? &claimed : nullptr))
    return false;
  if (claimed) {
    // The caller was parked in the call: its turn goes on here, on its own stack, until it
    // waits again or ends (the executor's one job: what it makes runnable goes to the
    // scheduler), and this thread goes back to its sockets.
    --inline_left_;
    auto* process =
      static_cast<otp::detail::process_core*>(caf::actor_cast<caf::abstract_actor*>(claimed));
    process->run_claimed(ctx);
  }
  return true;
}

void distribution::impl::fail_call_to(const std::string& node, const term& reason) {
  pending_->fail_node(node, unexpected{down_error(reason)});
}

void distribution::impl::fire_node_watchers(const std::string& node_name) {
  auto [first, last] = node_watchers_.equal_range(node_name);
  for (auto it = first; it != last; ++it)
    deliver_local(it->second,
                  term::tuple({term::make_atom("nodedown"), term::make_atom(node_name)}));
  node_watchers_.erase(first, last);
}

}  // namespace otp::dist::erlang
