#include "dist/erlang/kernel.hpp"

#include "dist/erlang/gen_call.hpp"
#include "dist/erlang/node_name.hpp"
#include "net/io_wait.hpp"
#include "runtime/cloexec.hpp"

#include "otp/caf.hpp"
#include "otp/gen_server.hpp"
#include "otp/process.hpp"
#include "process/process_core.hpp"
#include "process/send_refusal.hpp"
#include "runtime/caf_error.hpp"

#include <caf/abstract_actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/make_actor.hpp>

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <fmt/format.h>

namespace otp::dist::erlang {

namespace asio = boost::asio;
using error_code = boost::system::error_code;
using enum dist_error::kind;

term reason_term(const exit_reason& r) {
  using k = exit_reason::kind;
  switch (r.what()) {
    case k::error:
    case k::exception:
      return term::tuple({term::make_atom("error"), term::binary(r.detail())});
    case k::kill:
      return term::make_atom("killed");
    default:
      return term::make_atom(to_string(r.what()));
  }
}

exit_reason reason_of(const term& t) {
  if (auto* a = t.get_if<atom>()) {
    const auto& n = a->name();
    if (n == "normal")
      return exit_reason::normal();
    if (n == "kill")
      return exit_reason::kill();
    if (n == "killed")
      return exit_reason::killed();
    if (n == "shutdown")
      return exit_reason::shutdown();
    if (n == "noproc")
      return exit_reason::noproc();
    if (n == "noconnection")
      return exit_reason::noconnection();
  }
  return exit_reason::error(fmt::format("{}", t));
}

distribution::impl::impl(node& n, options o) : node_(n), opts_(std::move(o)) {
  lifeline_->self = this;
}

distribution::impl::~impl() {
  if (reporting_)
    otp::detail::set_dist_reporter(node_, {});
  if (replies_impl_ != nullptr)
    replies_impl_->stop();  // no call is answered from here on
  {
    std::unique_lock guard{ready_mtx_};
    ready_.clear();
  }
  {
    std::lock_guard guard{lifeline_->mtx};
    lifeline_->self = nullptr;
  }
  if (thread_.joinable()) {
    post([this] {
      stopped_ = true;
      config_.queued->stop();
      if (listener_)
        listener_->close();
      if (registration_)
        registration_->close();
      auto all = connections_;
      for (auto& [name, c] : all)
        c->close(dist_error{not_started, "distribution stopped"});
      guard_.reset();
      io_.stop();
    });
    thread_.join();
  }
  // Processes of nodes never reached, or met after the connections closed: noconnection.
  processes_lost({});
  // Calls still waiting (through a pid, which may outlive us) end now, not at their timeout.
  pending_->fail_node(
    {}, unexpected{call_error{call_error::kind::exited, exit_reason::noconnection()}});
  connections_.clear();
  waiters_.clear();
}

void distribution::impl::post(std::function<void()> f) {
  asio::post(io_, std::move(f));
}

erlang_pid distribution::impl::sender_pid() {
  if (auto* core = otp::detail::process_core::current())
    return pids_->expose(core->pid_of_self());
  return pids_->null_pid();
}

void distribution::impl::start_replies() {
  auto& sys = node_.system();
  caf::actor_config cfg;
  auto send = [this](const erlang_pid& to, term message) {
    send_to_node(to.node.name(), encode_control(send_msg{std::nullopt, to, std::move(message)}),
                 false);
  };
  replies_ = caf::make_actor<wire_replies, caf::strong_actor_ptr>(sys.next_actor_id(), sys.node(),
                                                                  &sys, cfg, std::move(send));
  replies_impl_ = static_cast<wire_replies*>(caf::actor_cast<caf::abstract_actor*>(replies_));
}

std::shared_ptr<connection> distribution::impl::direct(std::string_view node_name) const {
  if (posted_.load(std::memory_order_acquire) != 0)
    return nullptr;
  std::shared_lock guard{ready_mtx_};
  auto it = ready_.find(node_name);
  return it == ready_.end() ? nullptr : it->second;
}

void distribution::impl::post_outgoing(std::function<void()> f) {
  posted_.fetch_add(1, std::memory_order_acq_rel);
  post([this, f = std::move(f)] {
    f();
    posted_.fetch_sub(1, std::memory_order_acq_rel);
  });
}

void distribution::impl::send_to_node(std::string_view node_name, std::vector<std::uint8_t> body,
                                      bool gated) {
  // Back-pressure: while more than `max_queued` bytes wait for their connections, the sender
  // waits (a process parks, its thread runs others), as Erlang suspends a process whose
  // distribution channel is busy.
  if (gated)
    config_.queued->enter(body.size());
  // Gated sends only: the others are replies (wire_replies), written under its lock, where
  // nothing may wait.
  auto c = send_counted(node_name, std::move(body), gated);
  if (gated)
    yield_if_streaming(c);
}

std::shared_ptr<connection> distribution::impl::send_counted(std::string_view node_name,
                                                             std::vector<std::uint8_t> body,
                                                             bool counted) {
  if (auto c = direct(node_name); c && c->write(std::span{&body, 1}, counted))
    return c;
  post_outgoing(
    [this, node_name = std::string{node_name}, counted, body = std::move(body)]() mutable {
      auto it = connections_.find(node_name);
      auto c = stopped_ ? nullptr : it != connections_.end() ? it->second : dial(node_name);
      if (c)
        c->send(std::move(body), counted);
      else if (counted)
        config_.queued->left(body.size());
    });
  return nullptr;
}

void distribution::impl::yield_if_streaming(const std::shared_ptr<connection>& c) {
  // Only a turn on the I/O thread, and only when its packets wait for that thread (written
  // directly, a call's request or a reply costs nothing here).
  if (std::this_thread::get_id() != thread_.get_id())
    return;
  if (otp::detail::waiting_process::current() == nullptr || (c && !c->backlogged()))
    return;
  auto resume = std::make_shared<net::detail::io_wait>();
  resume->arm();
  post([resume] { resume->fire(); });  // after the flush the write posted: a scheduler thread
  (void)resume->wait(infinity);
}

void distribution::impl::accept_next() {
  listener_->start([this](net::detail::stream_socket s) {
    if (stopped_)
      return;
    auto c = std::make_shared<connection>(io_, std::move(s), config_, *this, std::nullopt);
    c->accept();
  });
}

std::shared_ptr<connection> distribution::impl::dial(const std::string& target) {
  auto address = parse_node_address(target);
  if (!address)
    return nullptr;  // `connect` checked its name; a send to a bad one is dropped
  if (auto it = connections_.find(address->name); it != connections_.end())
    return it->second;
  auto c = std::make_shared<connection>(io_, net::detail::stream_socket{io_}, config_, *this,
                                        address->name);
  connections_[address->name] = c;
  c->arm_handshake_timer();
  dial_carrier(c, *address);
  return c;
}

void distribution::impl::dial_carrier(const std::shared_ptr<connection>& c,
                                      const node_address& address) {
  if (opts_.carrier == options::carrier_type::uds) {
    // No port mapper: the name is the address. A missing or stale socket file fails the
    // connect at once (unreachable), as a node that is not running.
    c->dial(
      asio::local::stream_protocol::endpoint{uds_socket_path(opts_.directory, address.alive)});
    return;
  }
  // Name resolution runs on Asio's resolver thread: the I/O thread never waits for DNS.
  auto resolve_and_dial = [this, c, host = address.host](std::uint16_t port) {
    auto resolver = std::make_shared<tcp::resolver>(io_);
    resolver->async_resolve(
      host, std::to_string(port),
      [c, host, resolver](const error_code& ec, const tcp::resolver::results_type& found) {
        if (ec || found.empty())
          c->close(dist_error{bad_name, "cannot resolve " + host});
        else
          c->dial(found.begin()->endpoint());
      });
  };
  if (address.port) {
    resolve_and_dial(*address.port);
    return;
  }
  epmd_lookup(io_, address.host, opts_.epmd_port, address.alive, opts_.handshake_timeout,
              [c, resolve_and_dial](expected<epmd::node_entry, dist_error> entry) {
                if (!entry)
                  c->close(entry.error());
                else
                  resolve_and_dial(entry->port);
              });
}

// -- connection_owner ---------------------------------------------------------------------------

std::optional<dist_error> distribution::impl::admit(connection& c, const node_info& peer) {
  auto it = connections_.find(peer.name);
  if (it != connections_.end() && it->second->is_up()
      && it->second->peer().creation != peer.creation) {
    // A new incarnation of a node we think connected: the old one is gone (killed, frozen,
    // partitioned) without us seeing its socket close. As OTP, the newcomer is admitted and
    // the old connection taken down (nodedown), instead of locking the name out until ticks
    // time the old one out.
    auto old = it->second;
    old->close(dist_error{refused, fmt::format("{} restarted (creation {} -> {})", peer.name,
                                               old->peer().creation, peer.creation)});
    it = connections_.find(peer.name);
  }
  if (it != connections_.end()) {
    if (it->second->is_up() || !it->second->outgoing())
      return dist_error{duplicate_name, fmt::format("{} is connected already", peer.name)};
    // Both nodes dial each other at once: as Erlang, the greater name keeps its own
    // connection, the other gives up its outgoing one.
    if (config_.self.name > peer.name)
      return dist_error{duplicate_name, fmt::format("{} and we dial each other", peer.name)};
    auto ours = it->second;
    connections_.erase(it);
    superseded_.insert(peer.name);  // its waiters and monitors wait for the peer's connection
    ours->close(dist_error{duplicate_name, "crossed connection attempts: the peer's won"});
  }
  // From here on, sends and connects to this node wait for this connection.
  connections_[peer.name] = c.shared_from_this();
  return std::nullopt;
}

void distribution::impl::up(const std::shared_ptr<connection>& c) {
  auto name = c->peer_name();
  if (auto it = connections_.find(name);
      it != connections_.end() && it->second != c && it->second->is_up()) {
    c->close(dist_error{duplicate_name, fmt::format("{} is connected already", name)});
    return;
  }
  connections_[name] = c;
  {
    std::unique_lock guard{ready_mtx_};
    ready_[name] = c;
  }
  node_.logger().log(log_level::info, "dist", "erlang node {} up ({})", name,
                     flag_names(c->peer().flags));
  publish_nodes();
  notify_node_monitors(true, name);
  if (auto it = waiters_.find(name); it != waiters_.end()) {
    auto ws = std::move(it->second);
    waiters_.erase(it);
    for (auto& w : ws)
      w(std::nullopt);
  }
}

void distribution::impl::down(const std::shared_ptr<connection>& c, const dist_error& why) {
  auto name = c->peer_name();
  auto it = connections_.find(name);
  bool current = it != connections_.end() && it->second == c;
  if (current)
    connections_.erase(it);
  {
    std::unique_lock guard{ready_mtx_};
    if (auto r = ready_.find(name); r != ready_.end() && r->second == c)
      ready_.erase(r);
  }
  if (c->is_up()) {
    // Calls to its servers end: `noconnection`, as the monitor of Erlang's gen:call says.
    fail_call_to(name, term::make_atom("noconnection"));
    node_.logger().log(log_level::info, "dist", "erlang node {} down: {}", name, why);
    // Links and monitors held by the lost node die with it; our linked processes are told,
    // and our monitors of its processes fire (noconnection).
    processes_lost(name);
    fire_node_watchers(name);
    for (auto w = watches_.begin(); w != watches_.end();)
      w = w->second.node == name ? watches_.erase(w) : std::next(w);
    publish_nodes();
    notify_node_monitors(false, name);
  } else if (!name.empty()) {
    node_.logger().log(log_level::notice, "dist", "erlang handshake with {} failed: {}", name, why);
  }
  if (superseded_.erase(name) > 0 && !c->is_up())
    return;  // the peer's own attempt carries on in its place
  if (connections_.count(name) == 0 && c->outgoing() && !c->is_up() && why.what == duplicate_name) {
    // The peer said nok: it is dialling us too and its attempt wins, or it holds a connection
    // to us we have not seen end yet. Waiters, monitors and sends wait for its connection,
    // for a handshake's time at most.
    await_peer(name, why);
    return;
  }
  if (connections_.count(name) == 0)
    give_up(name, why);
}

void distribution::impl::give_up(const std::string& name, const dist_error& why) {
  // Our monitors on its processes fire, whether the link was up or never came.
  std::vector<erlang_ref> lost;
  for (const auto& [ref, m] : held_)
    if (m.node == name)
      lost.push_back(ref);
  for (const auto& ref : lost)
    monitor_fired(ref, term::make_atom("noconnection"));
  fire_node_watchers(name);
  // Links and monitors made while the connection was coming, which never came: noconnection,
  // as Erlang.
  processes_lost(name);
  std::erase_if(watches_, [&name](const auto& w) { return w.second.node == name; });
  if (auto w = waiters_.find(name); w != waiters_.end()) {
    auto ws = std::move(w->second);
    waiters_.erase(w);
    for (auto& fn : ws)
      fn(why);
  }
}

void distribution::impl::await_peer(const std::string& name, const dist_error& why) {
  auto timer = std::make_shared<asio::steady_timer>(io_, config_.handshake_timeout);
  timer->async_wait([this, name, why, timer](const error_code& ec) {
    if (!ec && !stopped_ && connections_.count(name) == 0)
      give_up(name, why);
  });
}

void distribution::impl::publish_nodes() {
  std::vector<std::string> names;
  for (const auto& [name, c] : connections_)
    if (c->is_up())
      names.push_back(name);
  std::lock_guard guard{mtx_};
  up_nodes_ = std::move(names);
}

void distribution::impl::notify_node_monitors(bool up, const std::string& node_name) {
  std::vector<pid> targets;
  {
    std::lock_guard guard{mtx_};
    targets = node_monitors_;
  }
  auto message =
    term::tuple({term::make_atom(up ? "nodeup" : "nodedown"), term::make_atom(node_name)});
  for (const auto& p : targets)
    deliver_local(p, message);
}

// -- incoming control messages --------------------------------------------------------------------

void distribution::impl::deliver_local(const pid& p, const term& message) {
  try {
    otp::send(p, message);
  } catch (const std::exception& e) {  // a full mailbox refusing: the message is dropped
    node_.logger().log(log_level::notice, "dist", "message to {} dropped: {}", p, e.what());
  }
}

void distribution::impl::deliver_to(const pid& p, const term& message) {
  served s;
  {
    std::lock_guard guard{mtx_};
    if (auto it = served_.find(p.id()); it != served_.end())
      s = it->second;
  }
  if (s.call) {
    if (auto call = parse_gen_call(message)) {
      // To the server (handled here if it is idle, else into its mailbox), with wire_replies
      // as the reply address: the thread that runs the server writes `{Tag, Reply}` to the
      // caller (the tag is what the caller's receive matches on, alias or not).
      auto taken = s.call(p, call->request);
      if (!taken) {
        refuse(p, &*call, taken.error());
        return;
      }
      auto deadline = s.call_timeout == infinity ? wire_replies::clock::time_point::max()
                                                 : wire_replies::clock::now() + s.call_timeout;
      auto mid = replies_impl_->arm({call->from, std::move(call->tag), taken->reply, deadline});
      deliver_request(p, caf::make_mailbox_element(replies_, mid, {}, std::move(taken->message)),
                      true);
      return;
    }
  }
  if (s.cast && message.is_tuple() && message.size() == 2 && message[0].is_atom("$gen_cast")) {
    // Into the mailbox, never handled here: nobody waits for a cast, and casts mostly come in
    // streams, which the server handles on a scheduler thread while this one goes on decoding
    // (handled here, the first of each read, 4 KiB casts went 6-25 % slower).
    if (auto taken = s.cast(p, message[1]); !taken)
      refuse(p, nullptr, taken.error());
    else
      deliver_request(p, std::move(*taken), false);
    return;
  }
  deliver_local(p, message);
}

void distribution::impl::batch(bool begins) {
  // Called on the I/O thread only, around each read's packets.
  inline_left_ = begins ? inline_turns : 0;
  in_batch_ = begins && wakes_ != nullptr;
  if (!begins && wakes_ != nullptr)
    wakes_->flush();
}

turn_executor* distribution::impl::inline_turn() const noexcept {
  // Called on the I/O thread only (its reads), which alone touches both members.
  return inline_left_ > 0 ? executor_ : nullptr;
}

void distribution::impl::deliver_request(const pid& p, caf::mailbox_element_ptr x,
                                         bool may_run_here) {
  auto* target = otp::actor_ptr(p);
  if (auto* ctx = may_run_here ? inline_turn() : nullptr) {
    // Served servers are gen_servers. Idle (nothing queued, nobody runs it): its turn runs
    // here, on its own stack, and a call's reply is written by this thread at once; a turn
    // that waits parks and this thread goes back to its sockets. Busy: the mailbox, in order.
    auto* core = static_cast<otp::detail::process_core*>(target);
    if (ctx->handle_if_idle(*core, x)) {
      --inline_left_;
      return;
    }
  }
  otp::detail::clear_send_refusal();
  // Within a read batch, a server this request makes runnable is scheduled when the batch
  // ends (batch_wakes): one hand-off for a stream of casts, not one per cast.
  target->enqueue(std::move(x), in_batch_ ? wakes_ : nullptr);
  try {
    otp::detail::throw_if_send_refused();  // a full mailbox whose policy is fail_sender
  } catch (const std::exception& e) {
    node_.logger().log(log_level::notice, "dist", "request to {} dropped: {}", p, e.what());
  }
}

void distribution::impl::refuse(const pid& p, const gen_call* call, std::string_view why) {
  node_.logger().log(log_level::notice, "dist", "{} to {} refused: {}",
                     call != nullptr ? "call" : "cast", p, why);
  if (call == nullptr)
    return;
  auto reply =
    term::tuple({call->tag, term::tuple({term::make_atom("error"), term::make_atom("badarg")})});
  send_to_node(call->from.node.name(),
               encode_control(send_msg{std::nullopt, call->from, std::move(reply)}), false);
}

void distribution::impl::monitor_fired(const erlang_ref& ref, const term& reason) {
  auto it = held_.find(ref);
  if (it == held_.end())
    return;
  auto m = std::move(it->second);
  held_.erase(it);
  if (fail_call(ref, reason))
    return;  // a call's monitor: the call ends with it, no 'DOWN' in the mailbox
  if (auto p = pids_->find(m.owner))
    deliver_local(*p, term::tuple({term::make_atom("DOWN"), term{ref}, term::make_atom("process"),
                                   m.target, reason}));
}

std::optional<pid> distribution::impl::resolve(const term& target) {
  if (auto* p = target.get_if<erlang_pid>())
    return pids_->find(*p);
  if (auto* a = target.get_if<atom>())
    return node_.whereis(a->name());
  return std::nullopt;
}

void distribution::impl::received(connection& c, control_message m) {
  const auto& peer = c.peer_name();
  std::visit(
    [&](auto& msg) {
      using T = std::decay_t<decltype(msg)>;
      if constexpr (std::is_same_v<T, send_msg>) {
        if (answer_call(msg.message))
          return;  // the reply to a call of ours goes to its wait
        if (auto p = pids_->find(msg.to))
          deliver_to(*p, msg.message);
      } else if constexpr (std::is_same_v<T, reg_send_msg>) {
        if (auto p = node_.whereis(msg.to.name())) {
          deliver_to(*p, msg.message);
        } else if (msg.to.name() == "net_kernel") {
          auto call = parse_gen_call(msg.message);
          auto reply = call ? net_kernel_reply(call->request) : std::nullopt;
          if (reply)
            c.send(
              encode_control(send_msg{std::nullopt, call->from, term::tuple({call->tag, *reply})}));
        }
      } else if constexpr (std::is_same_v<T, monitor_msg>) {
        if (msg.demonitor) {
          for (auto w = watches_.begin(); w != watches_.end();)
            w =
              w->second.ref == msg.ref && w->second.node == peer ? watches_.erase(w) : std::next(w);
        } else if (msg.target.is_atom("net_kernel") && !node_.whereis("net_kernel")) {
          // Our net_kernel never exits: nothing to watch.
        } else if (auto p = resolve(msg.target)) {
          watch_exit(*p, watch{peer, msg.from, msg.ref, msg.target});
        } else {
          c.send(encode_control(
            monitor_exit_msg{msg.target, msg.from, msg.ref, term::make_atom("noproc")}));
        }
      } else if constexpr (std::is_same_v<T, link_msg>) {
        // A CAF link between our process and the proxy of the linker: our exit reaches it as
        // EXIT through the proxy, its EXIT or its node's loss reaches us from the proxy.
        if (auto p = pids_->find(msg.to)) {
          if (auto remote = process(msg.from))
            otp::actor_ptr(remote)->add_link(otp::actor_ptr(*p));
        } else {
          c.send(encode_control(exit_msg{msg.to, msg.from, term::make_atom("noproc")}));
        }
      } else if constexpr (std::is_same_v<T, unlink_id_msg>) {
        if (!msg.ack) {
          auto p = pids_->find(msg.to);
          if (auto remote = find_process(msg.from); remote && p)
            caf::actor_cast<caf::abstract_actor*>(remote)->remove_link(otp::actor_ptr(*p));
          c.send(encode_control(unlink_id_msg{msg.id, msg.to, msg.from, true}));
        }
      } else if constexpr (std::is_same_v<T, exit_msg>) {
        if (auto p = pids_->find(msg.to)) {
          auto remote = msg.exit2 ? nullptr : find_process(msg.from);
          if (remote)  // over a link: from the linked process, as a local one's exit
            static_cast<remote_process*>(caf::actor_cast<caf::abstract_actor*>(remote))
              ->link_exited(otp::actor_ptr(*p), otp::detail::to_caf_error(reason_of(msg.reason)));
          else
            otp::exit(*p, reason_of(msg.reason));
        }
      } else if constexpr (std::is_same_v<T, monitor_exit_msg>) {
        if (auto pm = proc_monitors_.find(msg.ref); pm != proc_monitors_.end()) {
          auto proxy = std::move(pm->second);
          proc_monitors_.erase(pm);
          static_cast<remote_process*>(caf::actor_cast<caf::abstract_actor*>(proxy))
            ->monitor_exited(msg.ref, otp::detail::to_caf_error(reason_of(msg.reason)));
        } else if (auto it = held_.find(msg.ref); it != held_.end() && it->second.node == peer)
          monitor_fired(msg.ref, msg.reason);
        else
          (void)fail_call(msg.ref, msg.reason, peer);  // a call sent directly (no held_)
      }
    },
    m);
}

// -- our processes' exits -----------------------------------------------------------------------

void distribution::impl::watch_exit(const pid& p, watch w) {
  auto id = p.id();
  watches_.emplace(id, std::move(w));
  if (!attached_.insert(id).second)
    return;
  otp::actor_ptr(p)->attach_functor([line = lifeline_, id](const caf::error& reason) {
    auto as_term = reason_term(otp::detail::from_caf_error(reason));
    std::lock_guard guard{line->mtx};
    if (auto* self = line->self)
      self->post([self, id, as_term] { self->local_exited(id, as_term); });
  });
}

void distribution::impl::local_exited(std::uint64_t id, const term& reason) {
  attached_.erase(id);
  auto [first, last] = watches_.equal_range(id);
  for (auto it = first; it != last; ++it) {
    const auto& w = it->second;
    auto c = connections_.find(w.node);
    if (c == connections_.end())
      continue;
    if (w.ref)
      c->second->send(encode_control(monitor_exit_msg{w.target, w.remote, *w.ref, reason}));
    else
      c->second->send(encode_control(exit_msg{*w.target.get_if<erlang_pid>(), w.remote, reason}));
  }
  watches_.erase(first, last);
}

}  // namespace otp::dist::erlang
