#include "dist/net_kernel.hpp"

#include "otp/caf.hpp"
#include "otp/gen_server.hpp"
#include "otp/node.hpp"
#include "otp/process.hpp"
#include "process/server_core.hpp"
#include "runtime/node_reports.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/io/basp_broker.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/network/multiplexer.hpp>
// What this file sends is printable (box's to_string) through formatters that forward to fmt's
// string_view formatter, which format.h defines.
#include <fmt/format.h>

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <set>

namespace otp::dist::detail {

namespace {

// BASP keys published actors by port; ours are all the kernel, under one made-up port.
constexpr std::uint16_t basp_port = 4369;

otp::detail::server_core& core() {
  return otp::detail::server_core::running();
}

otp::logger& log() {
  return core().home().logger();
}

void cut(const std::shared_ptr<owned_fd>& control) {
  if (control)
    ::shutdown(control->get(), SHUT_RDWR);
}

}  // namespace

net_kernel::net_kernel(kernel_config cfg) : cfg_(std::move(cfg)) {}

caf::actor net_kernel::handle_call(kernel_whereis& req) {
  if (auto found = core().home().whereis(req.name))
    return otp::to_actor(*found);
  return {};
}

void net_kernel::handle_cast(kernel_hello& hello) {
  auto i = peers_.find(hello.node);
  if (i == peers_.end() || i->second.up || !hello.kernel) {
    log().log(log_level::warning, "dist", "unexpected hello from {}", hello.node);
    return;
  }
  node_up(hello.node, hello.creation, hello.kernel);
}

auto net_kernel::handle_call(connect_request& req, from<connect_result> caller)
  -> call_result<connect_result> {
  if (req.node == cfg_.name)
    return connect_result{};
  auto& p = peers_[req.node];
  if (p.up)
    return connect_result{};
  p.waiters.push_back(std::move(caller));
  if (cfg_.table->dialling(req.node))
    cfg_.carriers->connect(req.node, req.tcp);
  return otp::noreply();
}

bool net_kernel::handle_call(disconnect_request& req) {
  auto i = peers_.find(req.node);
  if (i == peers_.end() || !i->second.up)
    return false;
  // Shutting the socket down makes BASP see the connection close: it kills the node's
  // proxies, and the peer kernel's down arrives here as the nodedown.
  cut(i->second.control);
  return true;
}

std::vector<std::string> net_kernel::handle_call(nodes_request&) {
  std::vector<std::string> result;
  for (const auto& [name, p] : peers_)
    if (p.up)
      result.push_back(name);
  return result;
}

caf::actor net_kernel::handle_call(peer_request& req) {
  auto i = peers_.find(req.node);
  return i != peers_.end() && i->second.up ? i->second.kernel : caf::actor{};
}

bool net_kernel::handle_call(monitor_node_request& req) {
  auto& watchers = node_monitors_[req.node];
  if (!req.on) {
    std::erase(watchers, req.who);
    return true;
  }
  auto i = peers_.find(req.node);
  if (i == peers_.end() || !i->second.up)
    return false;
  watchers.push_back(req.who);
  return true;
}

bool net_kernel::handle_call(monitor_nodes_request& req) {
  std::erase(subscribers_, req.who);
  if (req.on)
    subscribers_.push_back(req.who);
  return true;
}

kernel_info net_kernel::handle_call(info_request&) {
  return {cfg_.name, cfg_.creation, cfg_.addresses};
}

void net_kernel::handle_info(handshake_result& r) {
  if (r.error) {
    log().log(log_level::warning, "dist", "{} connection {} {} over {} refused: {}",
              r.outgoing ? "outgoing" : "incoming", r.outgoing ? "to" : "from",
              r.target.empty() ? "an unknown node" : r.target, r.via, to_string(*r.error));
    if (!r.outgoing)
      return;
    auto i = peers_.find(r.target);
    if (i == peers_.end() || i->second.up)
      return;
    if (r.error->what == dist_error::kind::refused && r.error->detail == "duplicate_name") {
      otp::send_after(cfg_.handshake_timeout, otp::self(), recheck{r.target});
      return;
    }
    fail_waiters(r.target, *r.error);
    return;
  }
  handed_over(r);
}

void net_kernel::handle_info(recheck& r) {
  auto i = peers_.find(r.node);
  if (i != peers_.end() && !i->second.up)
    fail_waiters(r.node, dist_error{dist_error::kind::refused, "duplicate_name"});
}

void net_kernel::handed_over(handshake_result& r) {
  auto name = r.peer.name;
  auto& p = peers_[name];
  p.creation = r.peer.creation;
  p.via = r.via;
  p.since = std::chrono::steady_clock::now();
  p.control = std::make_shared<owned_fd>(::fcntl(r.socket->get(), F_DUPFD_CLOEXEC, 0));
  cfg_.table->linked(name, {p.via, p.control, p.since});
  auto& mm = core().system().middleman();
  auto scribe = mm.backend().new_scribe(r.socket->release());
  auto basp = mm.named_broker<caf::io::basp_broker>(caf::atom("BASP"));
  if (!r.outgoing) {
    // Data mode, accepting side: BASP answers the dialler's BASP handshake with our kernel.
    auto whom = caf::actor_cast<caf::strong_actor_ptr>(otp::to_actor(otp::self()));
    caf::anon_send(basp, caf::publish_atom::value, std::move(scribe), basp_port, std::move(whom),
                   std::set<std::string>{});
    return;
  }
  // Data mode, dialling side: BASP's reply carries the peer's kernel.
  auto creation = r.peer.creation;
  core()
    .request(basp, caf::duration{cfg_.handshake_timeout}, caf::connect_atom::value,
             std::move(scribe), basp_port)
    .then(
      [this, name, creation](caf::node_id&, caf::strong_actor_ptr& kernel, std::set<std::string>&) {
        auto peer_kernel = caf::actor_cast<caf::actor>(kernel);
        if (!peer_kernel) {
          fail_waiters(name, dist_error{dist_error::kind::system, "BASP gave no peer kernel"});
          return;
        }
        gen_server::cast(server_ref<net_kernel>{otp::to_pid(peer_kernel)},
                         kernel_hello{cfg_.name, cfg_.creation, otp::to_actor(otp::self())});
        node_up(name, creation, peer_kernel);
      },
      [this, name](caf::error& e) {
        fail_waiters(name, dist_error{dist_error::kind::system, caf::to_string(e)});
      });
}

void net_kernel::node_up(const std::string& name, std::uint32_t creation, caf::actor kernel) {
  auto& p = peers_[name];
  p.up = true;
  p.creation = creation;
  p.kernel = kernel;
  otp::monitor(otp::to_pid(kernel));
  log().log(log_level::info, "dist", "node {} up over {} (creation {})", name, p.via, creation);
  for (auto& waiter : std::exchange(p.waiters, {}))
    waiter.reply({});
  for (const auto& who : subscribers_)
    otp::send(who, nodeup{name, creation});
}

void net_kernel::node_down(std::string name, const exit_reason& reason) {
  auto i = peers_.find(name);
  if (i == peers_.end())
    return;
  cut(i->second.control);
  peers_.erase(i);
  cfg_.table->disconnected(name);
  log().log(log_level::info, "dist", "node {} down: {}", name, to_string(reason));
  if (auto w = node_monitors_.find(name); w != node_monitors_.end()) {
    for (const auto& who : w->second)
      otp::send(who, nodedown{name, reason});
    node_monitors_.erase(w);
  }
  for (const auto& who : subscribers_)
    otp::send(who, nodedown{name, reason});
}

void net_kernel::fail_waiters(std::string name, const dist_error& e) {
  auto i = peers_.find(name);
  if (i == peers_.end())
    return;
  auto waiters = std::exchange(i->second.waiters, {});
  if (!i->second.up) {
    cut(i->second.control);
    peers_.erase(i);
    cfg_.table->disconnected(name);
  }
  for (auto& waiter : waiters)
    waiter.reply(unexpected{e});
}

void net_kernel::handle_info(down& d) {
  for (const auto& [name, p] : peers_) {
    if (p.up && otp::to_pid(p.kernel) == d.pid) {
      node_down(name, d.reason);
      return;
    }
  }
}

void net_kernel::exiting(otp::detail::server_core& self, const exit_reason&) {
  // Any exit, a kill included: stop accepting and cut every link, so peers see nodedown.
  otp::detail::set_dist_reporter(self.home(), {});  // distribution.cpp's start set it
  cfg_.carriers->stop();
  for (auto& [name, p] : peers_)
    cut(p.control);
}

}  // namespace otp::dist::detail
