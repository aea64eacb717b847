// Ensure that messages between two caf-otp nodes on Erlang's distribution take no detour
// through the I/O thread where none is needed: a send to a connected node is written by the
// thread that sends it, a served gen_server's reply by the server's thread, so both arrive
// while the sending node's I/O thread is held; that what one process sends arrives in order
// across direct writes, queued streams and calls; and that a completed call leaves nothing.
// Over Unix sockets (no port mapper).

#include "dist_access.hpp"

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
  void handle_cast(const term& request) {
    if (request.is_tuple() && request.size() == 2 && request[0].is_atom("hold")) {
      holding = true;
      (void)go_ahead.wait_for(10s);
    }
    ++n;
  }
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
  holding = false;
  serve_counter();
  REQUIRE(a->connect(b->name()).has_value());
  REQUIRE(a->call("counter", b->name(), term::make_atom("get"), 5s).value() == term{1});
  // The server busy on a scheduler thread (a local cast that holds it): the request waits in
  // its mailbox and a scheduler thread, not the I/O thread, serves it.
  auto counter = otp::server_ref<slow_counter>{nb.whereis("counter").value()};
  otp::gen_server::cast(counter, term::tuple({term::make_atom("hold"), term{0}}));
  REQUIRE(test_util::eventually([] { return holding.load(); }));
  auto reply = std::async(
    std::launch::async, [&] { return a->call("counter", b->name(), term::make_atom("get"), 5s); });
  auto& ib = erl::distribution_access::of(*b);
  REQUIRE(test_util::eventually([&] { return ib.replies_impl_->waiting() == 1; }));
  // Once the request is in the mailbox, beta's I/O thread is held: the reply cannot take it.
  io_hold hold{*b};
  go.set_value();
  REQUIRE(reply.wait_for(4s) == std::future_status::ready);
  auto r = reply.get();
  REQUIRE(r.has_value());
  CHECK(*r == term{3});
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

// -- turns on the I/O thread ------------------------------------------------------------------
//
// The I/O thread that reads a request for an idle served server runs it there, on the server's
// own stack, and one that reads the reply a parked caller waits for runs that caller: neither
// needs a scheduler thread. Both nodes have two scheduler threads, which the tests hold.

namespace {

/// Two nodes of two scheduler threads each over Unix sockets, with `log`, a served recorder,
/// on beta.
struct held_nodes {
  test_erl::node_dir dir;
  otp::node na{otp::node_options{.threads = 2}};
  otp::node nb{otp::node_options{.threads = 2}};
  std::unique_ptr<erl::distribution> a = test_erl::start_uds(na, dir, "alpha");
  std::unique_ptr<erl::distribution> b = test_erl::start_uds(nb, dir, "beta");
};

/// Holds every scheduler thread of a node of `threads` threads: each runs a process that
/// blocks it (10 s at most) until released.
class workers_hold {
 public:
  workers_hold(otp::node& n, int threads) {
    auto release = release_.get_future().share();
    for (int i = 0; i < threads; ++i)
      otp::spawn(n, [release, blocked = blocked_] {
        ++*blocked;
        (void)release.wait_for(10s);
        --*blocked;
      });
    REQUIRE(test_util::eventually([&] { return *blocked_ == threads; }));
  }
  ~workers_hold() {
    release_.set_value();
    (void)test_util::eventually([&] { return *blocked_ == 0; });
  }

 private:
  std::promise<void> release_;
  std::shared_ptr<std::atomic<int>> blocked_ = std::make_shared<std::atomic<int>>(0);
};

/// Records every request in the order it handles them; a call answers with the record. A
/// cast `{hold, _}` holds its thread until the test lets it go on (10 s at most).
struct recorder {
  std::vector<term> seen;
  term handle_call(const term& request) {
    seen.push_back(request);
    return term::list(seen);
  }
  void handle_cast(const term& request) {
    if (request.is_tuple() && request.size() == 2 && request[0].is_atom("hold")) {
      holding = true;
      (void)go_ahead.wait_for(10s);
    }
    seen.push_back(request);
  }
};

}  // namespace

TEST_CASE_FIXTURE(held_nodes,
                  "erlang data path: an idle server answers while every scheduler thread is held") {
  b->serve(otp::gen_server::start<recorder>(nb, otp::start_options{.name = "log"}).value());
  REQUIRE(a->connect(b->name()).has_value());
  REQUIRE(a->call("log", b->name(), term{0}, 5s).has_value());  // it has run once
  workers_hold busy{nb, 2};
  // beta's I/O thread serves each in the idle server (one request per read: each call waits
  // for its reply before the next leaves).
  for (int i = 1; i <= 3; ++i) {
    auto r = a->call("log", b->name(), term{i}, 4s);
    REQUIRE(r.has_value());
    CHECK(r->list_elements().size() == static_cast<std::size_t>(i + 1));
  }
}

TEST_CASE_FIXTURE(
  held_nodes, "erlang data path: a request never overtakes what waits in the server's mailbox") {
  std::promise<void> go;
  go_ahead = go.get_future().share();
  holding = false;
  auto started = otp::gen_server::start<recorder>(nb, otp::start_options{.name = "log"}).value();
  b->serve(started);
  REQUIRE(a->connect(b->name()).has_value());
  REQUIRE(a->call("log", b->name(), term{0}, 5s).has_value());
  // The server held in a cast, two more local casts behind it, then a cast and a call from
  // alpha: they must come after the local ones.
  otp::gen_server::cast(started, term::tuple({term::make_atom("hold"), term{1}}));
  REQUIRE(test_util::eventually([] { return holding.load(); }));
  otp::gen_server::cast(started, term{2});
  otp::gen_server::cast(started, term{3});
  a->send("log", b->name(), term::tuple({term::make_atom("$gen_cast"), term{4}}));
  auto reply =
    std::async(std::launch::async, [&] { return a->call("log", b->name(), term{5}, 5s); });
  auto& ib = erl::distribution_access::of(*b);
  REQUIRE(test_util::eventually([&] { return ib.replies_impl_->waiting() == 1; }));
  go.set_value();
  REQUIRE(reply.wait_for(5s) == std::future_status::ready);
  auto r = reply.get();
  REQUIRE(r.has_value());
  CHECK(*r
        == term::list({term{0}, term::tuple({term::make_atom("hold"), term{1}}), term{2}, term{3},
                       term{4}, term{5}}));
}

namespace {

/// Calls beta's `log` twice from its handle_call (parking twice) and answers with both replies.
struct relay {
  otp::dist::erlang::distribution* dist = nullptr;
  std::string to;
  explicit relay(otp::dist::erlang::distribution* d, std::string node)
    : dist(d), to(std::move(node)) {}
  term handle_call(const term& request) {
    auto first = dist->call("log", to, request, 5s);
    auto second = dist->call("log", to, term::make_atom("again"), 5s);
    return term::tuple(
      {first ? *first : term::make_atom("failed"), second ? *second : term::make_atom("failed")});
  }
};

}  // namespace

/// Runs `caller` (which starts a call from alpha to beta's `log` and returns a future of
/// its outcome) while beta's server is held, so the call waits; then holds alpha's scheduler
/// threads and lets beta answer: only alpha's I/O thread can run the parked caller.
template <class Start>
void resumed_while_held(held_nodes& n, const otp::server_ref<recorder>& log, Start caller) {
  std::promise<void> go;
  go_ahead = go.get_future().share();
  holding = false;
  otp::gen_server::cast(log, term::tuple({term::make_atom("hold"), term{0}}));
  REQUIRE(test_util::eventually([] { return holding.load(); }));
  auto outcome = caller();
  auto& ib = erl::distribution_access::of(*n.b);
  REQUIRE(test_util::eventually([&] { return ib.replies_impl_->waiting() == 1; }));
  workers_hold busy{n.na, 2};
  go.set_value();
  REQUIRE(outcome.wait_for(4s) == std::future_status::ready);
  CHECK(outcome.get());
}

TEST_CASE_FIXTURE(held_nodes,
                  "erlang data path: a reply runs its parked caller while every scheduler thread "
                  "is held") {
  auto log = otp::gen_server::start<recorder>(nb, otp::start_options{.name = "log"}).value();
  b->serve(log);
  REQUIRE(a->connect(b->name()).has_value());
  REQUIRE(a->call("log", b->name(), term{0}, 5s).has_value());
  SUBCASE("a plain process") {
    auto done = std::make_shared<std::promise<bool>>();
    resumed_while_held(*this, log, [&] {
      otp::spawn(na, [this, done] {
        auto first = a->call("log", b->name(), term::make_atom("plain"), 5s);
        auto second = a->call("log", b->name(), term::make_atom("again"), 5s);
        done->set_value(first.has_value() && second.has_value());
      });
      return done->get_future();
    });
  }
  SUBCASE("a gen_server callback") {
    auto relayer = otp::gen_server::start<relay>(na, a.get(), b->name()).value();
    resumed_while_held(*this, log, [&] {
      return std::async(std::launch::async, [relayer] {
        auto r = otp::gen_server::try_call(relayer, term::make_atom("relayed"), 5s);
        return r.has_value() && r->is_tuple() && (*r)[0].is_list() && (*r)[1].is_list();
      });
    });
  }
}

namespace {

/// Connects its node to `to` from handle_call: `ok` or `error`.
struct connector {
  otp::dist::erlang::distribution* dist = nullptr;
  std::string to;
  connector(otp::dist::erlang::distribution* d, std::string node) : dist(d), to(std::move(node)) {}
  term handle_call(const term&) { return term::make_atom(dist->connect(to, 3s) ? "ok" : "error"); }
};

}  // namespace

TEST_CASE_FIXTURE(held_nodes,
                  "erlang data path: connect from a callback on the I/O thread parks, not blocks") {
  // beta's idle server runs on beta's I/O thread; connect's answer comes from that thread,
  // so the callback must park while it waits, not hold the thread.
  b->serve(
    otp::gen_server::start<connector>(nb, otp::start_options{.name = "dialler"}, b.get(), a->name())
      .value());
  REQUIRE(a->connect(b->name()).has_value());
  REQUIRE(a->call("dialler", b->name(), term{0}, 5s).has_value());  // it has run once
  auto t0 = std::chrono::steady_clock::now();
  auto r = a->call("dialler", b->name(), term{1}, 5s);
  REQUIRE(r.has_value());
  CHECK(*r == term::make_atom("ok"));
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
}

TEST_CASE_FIXTURE(held_nodes, "erlang data path: ten processes calling at once all get answers") {
  // Replies close together queue behind one another on the connection while the server runs
  // on the I/O thread: none may wait there (the reply address's lock is held as it writes).
  b->serve(otp::gen_server::start<slow_counter>(nb, otp::start_options{.name = "counter"}).value());
  REQUIRE(a->connect(b->name()).has_value());
  constexpr int callers = 10;
  constexpr int each = 300;
  std::atomic<int> answered{0};
  std::atomic<int> done{0};
  for (int k = 0; k < callers; ++k)
    otp::spawn(na, [&] {
      for (int i = 0; i < each; ++i)
        answered += a->call("counter", b->name(), term::make_atom("n"), 5s).has_value() ? 1 : 0;
      ++done;
    });
  REQUIRE(test_util::eventually([&] { return done.load() == callers; }, 20s));
  CHECK(answered.load() == callers * each);
}
