// The listener as a supervision subtree (listener → connections / owner / acceptors), grouped
// by concern: the tree, the acceptors, the limits, shutdown. Loopback, ephemeral ports,
// bounded waits, a real (threaded) node.

#include "net_client.hpp"

#include <otp/gen_server.hpp>
#include <otp/logger.hpp>
#include <otp/net/listener.hpp>
#include <otp/node.hpp>
#include <otp/process.hpp>
#include <otp/supervision_tree.hpp>
#include <otp/supervisor.hpp>
#include <otp/sys.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using test_net::client;
using test_net::eventually;
using test_net::loopback;
using test_net::round_trip;
using test_net::threaded;
namespace net = otp::net;

namespace {

/// Echoes each packet; "crash" makes it throw.
struct crash_protocol {
  net::socket sock;

  explicit crash_protocol(net::socket s) : sock(std::move(s)) {
    sock.set_active(net::active::once);
  }
  void handle_info(const net::data& d) {
    if (d.bytes == "crash")
      throw std::runtime_error("asked to crash");
    (void)sock.send(d.bytes);
    sock.set_active(net::active::once);
  }
};

/// Refuses every connection in its init.
struct refusing_protocol {
  otp::init_result init(net::socket) { return otp::stop(otp::exit_reason::error("refused")); }
};

/// Signals that its init began, then waits in it (parked) until its acceptor is killed.
struct slow_start_protocol {
  otp::init_result init(net::socket, std::atomic<bool>* s) {
    *s = true;
    otp::sleep(10s);
    return otp::ok();
  }
};

/// What a trap_exit_protocol saw when its supervisor told it to stop.
struct stop_witness {
  std::atomic<std::uint16_t> port{0};
  std::atomic<int> refused{0};  // 1: a new client was refused then, 2: it was accepted
};

/// Traps exits, so that its supervisor's stop runs `terminate`, which tries a new client on
/// the listener's port first. `stubborn`: it then takes its time, and is killed at the end of
/// its shutdown.
struct trap_exit_protocol {
  net::socket sock;
  stop_witness* witness;
  bool stubborn;

  trap_exit_protocol(net::socket s, stop_witness* w, bool st)
    : sock(std::move(s)), witness(w), stubborn(st) {
    otp::trap_exit(true);
    sock.set_active(net::active::once);
  }
  void handle_info(const net::data& d) {
    (void)sock.send(d.bytes);
    sock.set_active(net::active::once);
  }
  void terminate(const otp::exit_reason&) {
    // A loopback connect does not wait: refused at once, or completed by the kernel.
    witness->refused = client::tcp(witness->port) ? 2 : 1;
    if (stubborn)
      otp::sleep(10s);  // parked; the supervisor kills it after its shutdown
  }
};

otp::pid child_named(const otp::net::listener& l, std::string_view id) {
  auto children = otp::supervisor::which_children(otp::sup_ref{l.pid()});
  if (children)
    for (auto& c : *children)
      if (c.id == id)
        return c.pid;
  return {};
}

std::vector<otp::pid> pids(const otp::sup_ref& sup) {
  std::vector<otp::pid> result;
  for (auto& c : otp::supervisor::which_children(sup).value())
    result.push_back(c.pid);
  return result;
}

/// The listener's figures once they match `pred` (bounded wait); the last seen otherwise.
template <class Pred>
net::listener_info settled(const net::listener& l, Pred pred) {
  net::listener_info last;
  eventually([&] {
    auto i = net::info(l);
    if (!i)
      return false;  // the owner is restarting
    last = *i;
    return pred(last);
  });
  return last;
}

std::vector<client> connect(std::uint16_t port, int n) {
  std::vector<client> clients;
  for (int i = 0; i < n; ++i) {
    clients.push_back(client::tcp(port));
    REQUIRE(round_trip(clients.back(), "hi") == "hi");
  }
  return clients;
}

}  // namespace

// -- the tree --------------------------------------------------------------------------------

TEST_CASE("listener tree: a snapshot at N connections shows connections and acceptors apart") {
  // Ensure that which_children/supervision_tree show listener → connections / owner /
  // acceptors, the connections as connections and the waiting acceptors as acceptors.
  otp::node node{threaded()};
  auto l = net::start_listener<crash_protocol>(node, loopback({.num_acceptors = 3})).value();
  auto clients = connect(l.port(), 4);
  settled(l, [](auto& i) { return i.connections == 4 && i.free_acceptors == 3; });
  auto tree = otp::supervision_tree(otp::sup_ref{l.pid()}, "listener").value();
  REQUIRE(tree.flags);
  CHECK(tree.flags->strategy == otp::strategy::rest_for_one);
  REQUIRE(tree.children.size() == 3);
  auto& conns = tree.children[0];
  auto& owner = tree.children[1];
  auto& acceptors = tree.children[2];
  CHECK(conns.id == "connections");
  CHECK(conns.type == otp::child_type::supervisor);
  CHECK(owner.id == "owner");
  CHECK(owner.type == otp::child_type::worker);
  CHECK(acceptors.id == "acceptors");
  CHECK(acceptors.type == otp::child_type::supervisor);
  REQUIRE(conns.children.size() == 4);
  for (auto& c : conns.children) {
    CHECK(c.module == "otp::net::connection");
    CHECK(c.restart == otp::restart::temporary);
  }
  REQUIRE(acceptors.children.size() == 3);
  for (auto& a : acceptors.children)
    CHECK(a.module == "otp::net::acceptor");
  auto text = otp::to_text(tree);
  CHECK(text.find("connections") != std::string::npos);
  CHECK(text.find("acceptors") != std::string::npos);
  auto i = test_net::info(l);
  CHECK(i.connections_sup == otp::sup_ref{conns.pid});
  CHECK(i.acceptors == otp::sup_ref{acceptors.pid});
  net::stop_listener(l).value();
}

// -- the acceptors ---------------------------------------------------------------------------

TEST_CASE("listener tree: killing the acceptors' supervisor spares the connections") {
  // Ensure that the acceptors' supervisor, killed, is restarted alone (it is the last child)
  // and refilled, while the live connections go on.
  otp::node node{threaded()};
  auto l = net::start_listener<crash_protocol>(node, loopback({.num_acceptors = 2})).value();
  auto clients = connect(l.port(), 3);
  auto before = settled(l, [](auto& i) { return i.connections == 3 && i.free_acceptors == 2; });
  auto owner = child_named(l, "owner");
  otp::exit(before.acceptors, otp::exit_reason::kill());
  auto after = settled(l, [&](auto& i) {
    return i.acceptors && i.acceptors != before.acceptors && i.free_acceptors == 2;
  });
  CHECK(after.acceptors != before.acceptors);
  CHECK(after.connections == 3);
  CHECK(after.connections_sup == before.connections_sup);
  CHECK(child_named(l, "owner") == owner);
  for (auto& c : clients)
    CHECK(round_trip(c, "still") == "still");
  auto late = client::tcp(l.port());
  CHECK(round_trip(late, "new") == "new");
  net::stop_listener(l).value();
}

TEST_CASE("listener tree: the acceptors loop: a connection starts no process but its own") {
  // Ensure that an acceptor that accepted is re-armed rather than replaced, as Ranch's
  // acceptors loop: after many connections the same acceptors wait.
  otp::node node{threaded()};
  auto l = net::start_listener<crash_protocol>(node, loopback({.num_acceptors = 2})).value();
  auto before = settled(l, [](auto& i) { return i.free_acceptors == 2; });
  auto acceptor_pids = pids(before.acceptors);
  for (int i = 0; i < 6; ++i) {
    auto c = client::tcp(l.port());
    REQUIRE(round_trip(c, "hi") == "hi");
  }
  auto after = settled(l, [](auto& i) { return i.accepted == 6 && i.free_acceptors == 2; });
  CHECK(after.free_acceptors == 2);
  CHECK(pids(after.acceptors) == acceptor_pids);
  net::stop_listener(l).value();
}

TEST_CASE("listener tree: a connection is served while its supervisor is busy, and adopted") {
  // Ensure that nothing on the accept path waits for the connections' supervisor (one process
  // for all connections): with it suspended, a new client is still served; once resumed, the
  // supervisor lists the connection and reports its exit to the owner.
  otp::node node{threaded()};
  auto l = net::start_listener<crash_protocol>(node, loopback({.num_acceptors = 1})).value();
  auto sup = settled(l, [](auto& i) { return i.free_acceptors == 1; }).connections_sup;
  REQUIRE(otp::sys::suspend(sup));
  auto c = client::tcp(l.port());
  CHECK(round_trip(c, "served") == "served");
  CHECK(settled(l, [](auto& i) { return i.connections == 1; }).connections == 1);
  REQUIRE(otp::sys::resume(sup));
  auto children = otp::supervisor::which_children(sup).value();
  REQUIRE(children.size() == 1);
  CHECK(children[0].module == "otp::net::connection");
  CHECK(otp::supervisor::count_children(sup).value().active == 1);
  CHECK(c.send("crash"));
  CHECK(c.closed_by_peer());
  CHECK(settled(l, [](auto& i) { return i.connections == 0; }).connections == 0);
  CHECK(otp::supervisor::which_children(sup).value().empty());
  net::stop_listener(l).value();
}

TEST_CASE("listener tree: an acceptor killed while a handler's init waits counts it out") {
  // Ensure that the owner, told of the connection before its handler starts on the acceptor's
  // stack, counts it out when that start never finishes (the acceptor killed meanwhile).
  otp::node node{threaded()};
  std::atomic<bool> started{false};
  auto l = net::start_listener<slow_start_protocol>(
             node, loopback({.num_acceptors = 1, .max_connections = 1}), &started)
             .value();
  auto before = settled(l, [](auto& i) { return i.free_acceptors == 1; });
  auto c = client::tcp(l.port());
  REQUIRE(eventually([&] { return started.load(); }));
  auto acceptor = pids(before.acceptors).at(0);
  otp::exit(acceptor, otp::exit_reason::kill());
  CHECK(c.closed_by_peer());
  // The owner counts the connection out, and the acceptors' supervisor replaces the killed
  // acceptor, each in its own time: wait for both.
  auto after = settled(l, [&](auto& i) {
    return i.connections == 0 && i.free_acceptors == 1
           && pids(i.acceptors) != std::vector<otp::pid>{acceptor};
  });
  CHECK(after.connections == 0);
  CHECK(after.failed_starts == 1);
  CHECK(after.free_acceptors == 1);  // a replacement, within max_connections 1
  CHECK(pids(after.acceptors) != std::vector<otp::pid>{acceptor});
  net::stop_listener(l).value();
}

TEST_CASE("listener tree: a connection crash does not touch the acceptors") {
  // Ensure that a handler that crashes leaves the acceptors, their supervisor and the other
  // connections as they were, and is counted out.
  otp::node node{threaded()};
  auto l = net::start_listener<crash_protocol>(node, loopback({.num_acceptors = 3})).value();
  auto clients = connect(l.port(), 2);
  auto before = settled(l, [](auto& i) { return i.connections == 2 && i.free_acceptors == 3; });
  auto acceptor_pids = pids(before.acceptors);
  CHECK(clients[0].send("crash"));
  CHECK(clients[0].closed_by_peer());
  auto after = settled(l, [](auto& i) { return i.connections == 1; });
  CHECK(after.connections == 1);
  CHECK(after.acceptors == before.acceptors);
  CHECK(after.acceptor_crashes == 0);
  CHECK(pids(after.acceptors) == acceptor_pids);
  CHECK(round_trip(clients[1], "fine") == "fine");
  net::stop_listener(l).value();
}

TEST_CASE("listener tree: a killed owner is replaced and recounts the live connections") {
  // Ensure that the connections outlive their owner (rest_for_one: only the owner and the
  // acceptors restart), and that the new owner counts them, so the limit stays exact.
  otp::node node{threaded()};
  auto l =
    net::start_listener<crash_protocol>(node, loopback({.num_acceptors = 2, .max_connections = 3}))
      .value();
  auto clients = connect(l.port(), 2);
  settled(l, [](auto& i) { return i.connections == 2 && i.free_acceptors == 1; });
  auto owner = child_named(l, "owner");
  otp::exit(owner, otp::exit_reason::kill());
  auto after = settled(l, [&](auto& i) { return i.free_acceptors == 1; });
  CHECK(child_named(l, "owner") != owner);
  CHECK(after.connections == 2);
  CHECK(after.free_acceptors == 1);  // max 3 - 2 live, not num_acceptors
  for (auto& c : clients)
    CHECK(round_trip(c, "on") == "on");
  net::stop_listener(l).value();
}

// -- limits ----------------------------------------------------------------------------------

TEST_CASE("listener tree: at max_connections the figures say so, and clients wait") {
  // Ensure that info() reports the limit exactly: connections, no free acceptor, at_limit,
  // and how often the limit was reached, and that a held client is served when one closes.
  otp::node node{threaded()};
  auto l =
    net::start_listener<crash_protocol>(node, loopback({.num_acceptors = 2, .max_connections = 3}))
      .value();
  auto clients = connect(l.port(), 3);
  auto full = settled(l, [](auto& i) { return i.connections == 3; });
  CHECK(full.free_acceptors == 0);
  CHECK(full.at_limit);
  CHECK(full.limit_reached == 1);
  CHECK(full.max_connections == 3);
  auto held = client::tcp(l.port());  // the kernel completes the handshake; nobody accepts
  REQUIRE(held);
  CHECK(held.send("wait"));
  CHECK_FALSE(held.recv(4, 200ms));
  CHECK(test_net::info(l).accepted == 3);
  clients.erase(clients.begin());
  CHECK(held.recv(4) == "wait");
  auto again = settled(l, [](auto& i) { return i.accepted == 4 && i.connections == 3; });
  CHECK(again.at_limit);
  CHECK(again.limit_reached == 2);
  net::stop_listener(l).value();
}

TEST_CASE("listener tree: a handler that fails to start is counted out") {
  // Ensure that a connection whose handler's init stops is closed, counted in failed_starts,
  // and does not hold a place under max_connections.
  otp::node node{threaded()};
  auto l = net::start_listener<refusing_protocol>(
             node, loopback({.num_acceptors = 1, .max_connections = 1}))
             .value();
  for (int i = 0; i < 3; ++i) {
    auto c = client::tcp(l.port());
    CHECK(c.closed_by_peer());
  }
  auto i = settled(l, [](auto& x) { return x.failed_starts == 3 && x.free_acceptors == 1; });
  CHECK(i.failed_starts == 3);
  CHECK(i.connections == 0);
  CHECK(i.accepted == 3);
  net::stop_listener(l).value();
}

// -- shutdown --------------------------------------------------------------------------------

TEST_CASE("listener tree: stopping closes the listen socket before the connections stop") {
  // Ensure that stop_listener refuses new clients by the time the connections are told to
  // stop (the owner, with the listen sockets, stops before the connections' supervisor).
  otp::node node{threaded()};
  stop_witness witness;
  auto l =
    net::start_listener<trap_exit_protocol>(node, loopback({.num_acceptors = 2}), &witness, false)
      .value();
  witness.port = l.port();
  auto c = client::tcp(l.port());
  REQUIRE(round_trip(c, "x") == "x");
  net::stop_listener(l).value();
  CHECK(witness.refused == 1);
  CHECK(c.closed_by_peer());
}

TEST_CASE("listener tree: a connection that ignores the stop is killed after its shutdown") {
  // Ensure that each connection gets listener_options::shutdown to stop, and no more.
  otp::node node{threaded()};
  stop_witness witness;
  auto l = net::start_listener<trap_exit_protocol>(
             node, loopback({.num_acceptors = 1, .shutdown = 300ms}), &witness, true)
             .value();
  witness.port = l.port();
  auto c = client::tcp(l.port());
  REQUIRE(round_trip(c, "x") == "x");
  auto t0 = std::chrono::steady_clock::now();
  net::stop_listener(l).value();
  auto took = std::chrono::steady_clock::now() - t0;
  CHECK(witness.refused == 1);
  CHECK(took >= 250ms);
  CHECK(took < 3s);
  CHECK(c.closed_by_peer());
  CHECK_FALSE(net::info(l).has_value());
}

TEST_CASE("listener tree: stopping a listener reports no error") {
  // Ensure that the owner, seeing the acceptors go as the listener stops, neither retries nor
  // logs the starts their stopping supervisor refuses.
  auto options = threaded();
  options.log = otp::log_level::warning;
  otp::node node{options};
  std::mutex mutex;
  std::vector<std::string> reports;
  node.logger().set_sink([&](const otp::log_event& e) {
    std::lock_guard lock{mutex};
    reports.push_back(e.text);
  });
  for (int round = 0; round < 5; ++round) {
    auto l = net::start_listener<crash_protocol>(node, loopback({.num_acceptors = 10})).value();
    settled(l, [](auto& i) { return i.free_acceptors == 10; });
    net::stop_listener(l).value();
  }
  std::lock_guard lock{mutex};
  CHECK(reports.empty());
  for (auto& r : reports)
    MESSAGE(r);
}
