// Ensure that two caf-otp nodes speak Erlang's distribution to each other (without epmd):
// crossing connection attempts end in one connection both sides use, messages pass by name,
// and a wrong cookie is refused with not_allowed; a process of the other node works as a pid,
// and the proxies behind such pids are let go once nothing refers to them.

#include "dist_access.hpp"

#include "otp/dist/erlang.hpp"
#include "otp/process.hpp"
#include "otp/spawn.hpp"

#include "../eventually.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <future>
#include <vector>

using namespace std::chrono_literals;
using otp::term;
namespace erl = otp::dist::erlang;

namespace {

std::unique_ptr<erl::distribution> start(otp::node& n, const std::string& name,
                                         const std::string& cookie) {
  erl::options o;
  o.name = name;
  o.cookie = cookie;
  o.use_epmd = false;
  o.listen_address = "127.0.0.1";
  auto d = erl::distribution::start(n, o);
  REQUIRE_MESSAGE(d.has_value(), fmt::format("{}", d ? otp::dist::dist_error{} : d.error()));
  return std::move(*d);
}

std::string address_of(const erl::distribution& d) {
  return fmt::format("{}:{}", d.name(), d.port());
}

}  // namespace

TEST_CASE("erlang dist between C++ nodes: crossing dials end in one connection") {
  otp::node na;
  otp::node nb;
  auto a = start(na, "alpha@127.0.0.1", "c");
  auto b = start(nb, "beta@127.0.0.1", "c");
  for (int round = 0; round < 5; ++round) {
    auto ab = std::async(std::launch::async, [&] { return a->connect(address_of(*b), 10s); });
    auto ba = std::async(std::launch::async, [&] { return b->connect(address_of(*a), 10s); });
    auto r1 = ab.get();
    auto r2 = ba.get();
    CHECK_MESSAGE(r1.has_value(), fmt::format("{}", r1 ? otp::dist::dist_error{} : r1.error()));
    CHECK_MESSAGE(r2.has_value(), fmt::format("{}", r2 ? otp::dist::dist_error{} : r2.error()));
    CHECK(a->nodes() == std::vector<std::string>{"beta@127.0.0.1"});
    CHECK(b->nodes() == std::vector<std::string>{"alpha@127.0.0.1"});
    std::promise<term> got;
    auto inbox = otp::spawn(nb, [&got] { otp::receive([&](const term& t) { got.set_value(t); }); });
    REQUIRE(b->register_name(fmt::format("inbox{}", round), inbox));
    a->send(fmt::format("inbox{}", round), "beta@127.0.0.1", term{round});
    auto f = got.get_future();
    REQUIRE(f.wait_for(5s) == std::future_status::ready);
    CHECK(f.get() == term{round});
    CHECK(a->disconnect("beta@127.0.0.1"));
    for (int i = 0; i < 200 && !b->nodes().empty(); ++i)
      std::this_thread::sleep_for(5ms);
    CHECK(b->nodes().empty());
  }
}

TEST_CASE("erlang dist between C++ nodes: a wrong cookie is not_allowed on both sides") {
  otp::node na;
  otp::node nb;
  auto a = start(na, "alpha@127.0.0.1", "one");
  auto b = start(nb, "beta@127.0.0.1", "two");
  auto r = a->connect(address_of(*b), 10s);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().what == otp::dist::dist_error::kind::not_allowed);
  CHECK(a->nodes().empty());
  CHECK(b->nodes().empty());
}

TEST_CASE(
  "erlang dist between C++ nodes: a new incarnation replaces a connection not seen to end") {
  otp::node na;
  otp::node nb;
  otp::node nb2;
  auto a = start(na, "alpha@127.0.0.1", "c");
  auto b = start(nb, "beta@127.0.0.1", "c");
  // Watched from before the first connection: its nodeup comes first, whenever alpha
  // publishes it (after beta's connect may have returned).
  std::promise<std::vector<term>> events;
  auto watcher = otp::spawn(na, [&events] {
    std::vector<term> got;
    while (got.size() < 2) {
      auto t = otp::receive<term>(10s);
      if (!t)
        break;
      got.push_back(std::move(*t));
    }
    events.set_value(got);
  });
  a->monitor_nodes(watcher);
  REQUIRE(b->connect(address_of(*a), 10s).has_value());
  // beta restarts while alpha still holds its old connection (its socket is still open): the
  // new incarnation, another creation, is admitted, the old connection goes down.
  auto b2 = start(nb2, "beta@127.0.0.1", "c");
  REQUIRE(b2->creation() != b->creation());
  auto again = b2->connect(address_of(*a), 10s);
  REQUIRE_MESSAGE(again.has_value(),
                  fmt::format("{}", again ? otp::dist::dist_error{} : again.error()));
  auto e = events.get_future();
  REQUIRE(e.wait_for(5s) == std::future_status::ready);
  auto seen = e.get();
  auto beta = term::make_atom("beta@127.0.0.1");
  REQUIRE(seen.size() == 2);
  CHECK_MESSAGE(seen[0] == term::tuple({term::make_atom("nodeup"), beta}),
                fmt::format("{}", seen[0]));
  CHECK_MESSAGE(seen[1] == term::tuple({term::make_atom("nodedown"), beta}),
                fmt::format("{}", seen[1]));
  // The acceptor's side is up once it has sent its last handshake message, which may reach
  // beta (and end its connect) before alpha has published the node.
  CHECK(test_util::eventually(
    [&] { return a->nodes() == std::vector<std::string>{"beta@127.0.0.1"}; }));
  std::promise<term> got;
  auto inbox = otp::spawn(nb2, [&got] { otp::receive([&](const term& t) { got.set_value(t); }); });
  REQUIRE(b2->register_name("inbox", inbox));
  a->send("inbox", "beta@127.0.0.1", term::make_atom("to_the_new_one"));
  auto f = got.get_future();
  REQUIRE(f.wait_for(5s) == std::future_status::ready);
  CHECK(f.get().is_atom("to_the_new_one"));
}

TEST_CASE("erlang dist between C++ nodes: a process of the other node as an otp::pid") {
  otp::node na;
  otp::node nb;
  auto a = start(na, "alpha@127.0.0.1", "c");
  auto b = start(nb, "beta@127.0.0.1", "c");
  REQUIRE(a->connect(address_of(*b), 10s).has_value());
  // beta's process takes one message, then exits with a reason of its own.
  std::promise<term> got;
  auto target = otp::spawn(nb, [&got] {
    got.set_value(otp::receive<term>());
    otp::exit(otp::exit_reason::error("done"));
  });
  auto remote = b->pid_of(target);
  auto p = a->process(remote);
  CHECK(fmt::format("{}", p) == fmt::format("{}", remote));
  CHECK(a->process(remote) == p);
  CHECK(p != target);  // another node's view of it: beta's own pid is its process
  CHECK(b->process(remote) == target);
  // alpha: one process linked to it (not trapping), one monitoring it.
  std::promise<void> set_up;
  auto linked = otp::spawn(na, [&] {
    otp::link(p);
    set_up.set_value();
    (void)otp::receive<term>(10s);
  });
  REQUIRE(set_up.get_future().wait_for(5s) == std::future_status::ready);
  auto down = std::async(std::launch::async, [&] {
    std::promise<std::optional<otp::down>> d;
    otp::spawn(na, [&] {
      otp::monitor(p);
      otp::send(p, term{7});
      d.set_value(otp::receive<otp::down>(10s));
    });
    return d.get_future().get();
  });
  auto f = got.get_future();
  REQUIRE(f.wait_for(5s) == std::future_status::ready);
  CHECK(f.get() == term{7});
  auto d = down.get();
  REQUIRE(d);
  CHECK(d->pid == p);
  CHECK(d->reason.detail().find("done") != std::string::npos);
  auto reason = otp::await_exit(linked, 10s);
  REQUIRE(reason);
  CHECK(reason->detail().find("done") != std::string::npos);
}

TEST_CASE("erlang dist between C++ nodes: proxies nobody refers to are let go") {
  otp::node na;
  otp::node nb;
  auto a = start(na, "alpha@127.0.0.1", "c");
  auto b = start(nb, "beta@127.0.0.1", "c");
  REQUIRE(a->connect(address_of(*b), 10s).has_value());
  auto& ia = erl::distribution_access::of(*a);
  auto proxies = [&] {
    std::lock_guard guard{ia.procs_mtx_};
    return ia.procs_.size();
  };
  // Two proxies stay: one whose pid we hold, one a process of ours monitors (and holds no
  // pid of).
  auto kept_target = otp::spawn(nb, [] { (void)otp::receive<term>(20s); });
  auto kept = a->process(b->pid_of(kept_target));
  auto watched = otp::spawn(nb, [] { (void)otp::receive<term>(20s); });
  auto watched_e = b->pid_of(watched);
  std::uint64_t watched_proxy = 0;
  std::promise<void> monitoring;
  std::promise<std::optional<otp::down>> down;
  otp::spawn(na, [&] {
    auto p = a->process(watched_e);
    watched_proxy = p.id();
    otp::monitor(p);
    monitoring.set_value();
    down.set_value(otp::receive<otp::down>(20s));
  });
  REQUIRE(monitoring.get_future().wait_for(5s) == std::future_status::ready);
  // Beta holds the monitor before anything else happens (its exit, below, must find it).
  REQUIRE(test_util::eventually(
    [&] { return test_erl::on_io_thread(*b, [](auto& i) { return i.watches_.size(); }) == 1; }));
  // Thousands of processes of beta's met once, sent to, and forgotten.
  std::size_t most = 0;
  for (std::uint32_t i = 0; i < 3000; ++i) {
    auto p = a->process(otp::erlang_pid{otp::atom{b->name()}, 100'000 + i, 0, b->creation()});
    otp::send(p, term{i});
    most = std::max(most, proxies());
  }
  CHECK_MESSAGE(most <= 2 * 2 + 64, fmt::format("{} proxies at most", most));
  // The two that are referred to are the ones made first, not new ones.
  CHECK(a->process(b->pid_of(kept_target)).id() == kept.id());
  otp::send(watched, term{1});
  auto fired = down.get_future();
  REQUIRE(fired.wait_for(10s) == std::future_status::ready);
  auto d = fired.get();
  REQUIRE(d);
  CHECK_MESSAGE(d->reason == otp::exit_reason::normal(), fmt::format("{}", d->reason));
  CHECK(d->pid.id() == watched_proxy);  // from the proxy it monitored, still the table's
  CHECK(a->process(watched_e).id() == watched_proxy);
  otp::send(kept_target, term{1});
}
