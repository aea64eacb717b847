// Ensure that messages between two caf-otp nodes on Erlang's distribution take no detour
// through the I/O thread where none is needed: a send to a connected node is written by the
// thread that sends it, a served gen_server's reply by the server's thread, so both arrive
// while the sending node's I/O thread is held; that what one process sends arrives in order
// across direct writes, queued streams and calls; and that a completed call leaves nothing.
// Over Unix sockets (no port mapper).

#include "dist/erlang/kernel.hpp"

#include "otp/dist/erlang.hpp"
#include "otp/gen_server.hpp"
#include "otp/process.hpp"
#include "otp/receive.hpp"
#include "otp/spawn.hpp"

#include "in_process.hpp"
#include "uds_nodes.hpp"

#include "../eventually.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <atomic>
#include <future>

using namespace std::chrono_literals;
using otp::term;
namespace erl = otp::dist::erlang;
using test_erl::in_process;

namespace otp::dist::erlang {

struct distribution_access {
  static distribution::impl& of(distribution& d) { return *d.impl_; }
};

}  // namespace otp::dist::erlang

namespace {

/// Two nodes over Unix sockets, alpha and beta, with a served `counter` on beta.
struct two_nodes {
  test_erl::node_dir dir;
  otp::node na;
  otp::node nb;
  std::unique_ptr<erl::distribution> a = test_erl::start_uds(na, dir, "alpha");
  std::unique_ptr<erl::distribution> b = test_erl::start_uds(nb, dir, "beta");
  void serve_counter();
};

/// Holds a distribution's I/O thread (a task that waits) until released or destroyed.
class io_hold {
 public:
  explicit io_hold(erl::distribution& d) {
    auto held = std::make_shared<std::promise<void>>();
    auto holding = held->get_future();
    erl::distribution_access::of(d).post([held, release = release_.get_future().share()] {
      held->set_value();
      (void)release.wait_for(10s);  // bounded: a failing test still ends
    });
    REQUIRE(holding.wait_for(5s) == std::future_status::ready);
  }
  ~io_hold() { release(); }
  void release() {
    if (!released_)
      release_.set_value();
    released_ = true;
  }

 private:
  std::promise<void> release_;
  bool released_ = false;
};

/// What `{hold, _}` calls wait for (a test's, one at a time), and whether one waits.
std::shared_future<void> go_ahead;
std::atomic<bool> holding{false};

/// Answers calls with their count; `{hold, _}` holds its thread until the test lets it go on
/// (10 s at most).
struct slow_counter {
  std::int64_t n = 0;
  term handle_call(const term& request) {
    if (request.is_tuple() && request.size() == 2 && request[0].is_atom("hold")) {
      holding = true;
      (void)go_ahead.wait_for(10s);
    }
    return term{++n};
  }
  void handle_cast(const term&) { ++n; }
};

void two_nodes::serve_counter() {
  b->serve(otp::gen_server::start<slow_counter>(nb, otp::start_options{.name = "counter"}).value());
}

/// Collects `n` terms from its mailbox, then reports them.
otp::pid collector(otp::node& n, std::size_t count, std::promise<std::vector<term>>& out) {
  return otp::spawn(n, [count, &out] {
    std::vector<term> got;
    for (std::size_t i = 0; i < count; ++i) {
      auto t = otp::receive<term>(10s);
      if (!t)
        break;
      got.push_back(std::move(*t));
    }
    out.set_value(std::move(got));
  });
}

}  // namespace

TEST_CASE_FIXTURE(two_nodes,
                  "erlang data path: a send to a connected node is written by the sending thread") {
  std::promise<std::vector<term>> got;
  auto inbox = collector(nb, 2, got);
  REQUIRE(b->register_name("inbox", inbox));
  REQUIRE(a->connect(b->name()).has_value());
  auto received = got.get_future();
  {
    io_hold hold{*a};  // alpha's I/O thread does nothing from here on
    a->send("inbox", b->name(), term::make_atom("from_a_thread"));
    in_process(na, [&] {
      a->send("inbox", b->name(), term::make_atom("from_a_process"));
      return 0;
    });
    REQUIRE(received.wait_for(5s) == std::future_status::ready);
  }
  CHECK(received.get()
        == std::vector<term>{term::make_atom("from_a_thread"), term::make_atom("from_a_process")});
}

TEST_CASE_FIXTURE(two_nodes,
                  "erlang data path: a served server's reply is written by the server's thread") {
  std::promise<void> go;
  go_ahead = go.get_future().share();
  serve_counter();
  REQUIRE(a->connect(b->name()).has_value());
  REQUIRE(a->call("counter", b->name(), term::make_atom("get"), 5s).value() == term{1});
  auto reply = std::async(std::launch::async, [&] {
    return a->call("counter", b->name(), term::tuple({term::make_atom("hold"), term{1}}), 5s);
  });
  // Once the request is in handle_call, beta's I/O thread is held: the reply cannot take it.
  REQUIRE(test_util::eventually([] { return holding.load(); }));
  io_hold hold{*b};
  go.set_value();
  REQUIRE(reply.wait_for(4s) == std::future_status::ready);
  auto r = reply.get();
  REQUIRE(r.has_value());
  CHECK(*r == term{2});
}

TEST_CASE_FIXTURE(two_nodes,
                  "erlang data path: one process's messages arrive in order, calls between them") {
  serve_counter();
  constexpr std::int64_t n = 20'000;
  std::promise<std::vector<term>> got;
  auto inbox = collector(nb, n, got);
  REQUIRE(b->register_name("inbox", inbox));
  // Streams of sends (queued for the I/O thread) with calls between them (written directly),
  // and the first sends before any connection exists.
  auto calls = in_process(na, [&] {
    int ok = 0;
    for (std::int64_t i = 0; i < n; ++i) {
      a->send("inbox", b->name(), term{i});
      if (i % 1000 == 999)
        ok += a->call("counter", b->name(), term::make_atom("get"), 5s).has_value() ? 1 : 0;
    }
    return ok;
  });
  CHECK(calls == n / 1000);
  auto received = got.get_future();
  REQUIRE(received.wait_for(15s) == std::future_status::ready);
  auto terms = received.get();
  REQUIRE(terms.size() == static_cast<std::size_t>(n));
  std::int64_t out_of_order = 0;
  for (std::int64_t i = 0; i < n; ++i)
    out_of_order += terms[static_cast<std::size_t>(i)] == term{i} ? 0 : 1;
  CHECK(out_of_order == 0);
}

TEST_CASE_FIXTURE(two_nodes, "erlang data path: a completed call leaves nothing on either node") {
  serve_counter();
  REQUIRE(a->connect(b->name()).has_value());
  auto answered = in_process(na, [&] {
    int ok = 0;
    for (int i = 0; i < 500; ++i)
      ok += a->call("counter", b->name(), term::make_atom("get"), 5s).has_value() ? 1 : 0;
    return ok;
  });
  CHECK(answered == 500);
  for (int i = 0; i < 100; ++i)
    REQUIRE(a->call("counter", b->name(), term::make_atom("get"), 5s).has_value());
  auto& ia = erl::distribution_access::of(*a);
  auto& ib = erl::distribution_access::of(*b);
  CHECK(ib.replies_impl_->waiting() == 0);
  // The caller's node: no monitor held for a call (they are the calls' own), on its I/O thread.
  std::promise<std::size_t> held;
  ia.post([&] { held.set_value(ia.held_.size()); });
  auto h = held.get_future();
  REQUIRE(h.wait_for(5s) == std::future_status::ready);
  CHECK(h.get() == 0);
}
