// Ensure that an `otp::pid` names a process of an Erlang node and that the node's ordinary
// operations work on it unchanged: `otp::send` (SEND), `otp::link` / `unlink` (LINK /
// UNLINK_ID), `otp::monitor` / `demonitor` (MONITOR_P / DEMONITOR_P, MONITOR_P_EXIT as the
// usual `down`), `otp::exit` (EXIT2); the Erlang process's exit over a link (EXIT) arrives as
// a local one's does, and `kill -9` of the Erlang node turns every link and monitor into
// `noconnection` within the tick time.

#include "cpp_node.hpp"
#include "erl_node.hpp"

#include "otp/process.hpp"
#include "otp/spawn.hpp"

#include "in_process.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <future>
#include <thread>
#include <unordered_set>

using namespace std::chrono_literals;
using otp::erlang_pid;
using otp::exit_reason;
using otp::term;
using test_erl::cpp_node;
using test_erl::host;
using test_erl::in_process;

namespace {

/// `box` spawns, on `{spawn, Cpp, Kind}`, a process of that kind and answers `{spawned, Pid}`
/// once the process is set up (trapping exits, linked, monitoring: Erlang sends its LINK or
/// MONITOR_P to us before that answer): `echo` prints what it gets (`got M`) and answers
/// `{From, M}` with `{echoed, M}`; `waiter` exits with R when told `{exit, R}`; `trapper`
/// traps exits and prints the first; `{linker, T, Trap}` links to T (trapping exits if Trap),
/// prints `linked`, then exits when told or prints the exit it traps; `{monitorer, T}`
/// monitors T, prints `monitoring`, then the `'DOWN'`'s reason.
const char* spawner =
  "Box = self(), "
  "Ready = fun(P) -> receive {ready, P} -> P end end, "
  "Spawn = fun"
  "  (echo) -> spawn(fun E() -> receive {From, M} when is_pid(From) -> From ! {echoed, M}, E(); "
  "                                      M -> io:format(\"got ~p~n\", [M]), E() end end); "
  "  (waiter) -> spawn(fun() -> receive {exit, R} -> exit(R) end end); "
  "  (trapper) -> Ready(spawn(fun() -> process_flag(trap_exit, true), Box ! {ready, self()}, "
  "      receive {'EXIT', _, R} -> io:format(\"trapped ~p~n\", [R]) end end)); "
  "  ({linker, T, Trap}) -> Ready(spawn(fun() -> process_flag(trap_exit, Trap), link(T), "
  "      io:format(\"linked~n\"), Box ! {ready, self()}, "
  "      receive {exit, R} -> exit(R); {'EXIT', _, R} -> io:format(\"trapped ~p~n\", [R]) end "
  "      end)); "
  "  ({monitorer, T}) -> Ready(spawn(fun() -> Ref = monitor(process, T), "
  "      io:format(\"monitoring~n\"), Box ! {ready, self()}, "
  "      receive {'DOWN', Ref, process, _, R} -> io:format(\"down ~p~n\", [R]) end end)) "
  "end, "
  "register(box, Box), io:format(\"ready~n\"), "
  "(fun Loop() -> receive {spawn, Cpp, K} -> Cpp ! {spawned, Spawn(K)}, Loop() end end)().";

term atom(const char* a) {
  return term::make_atom(a);
}

/// A process of `beam` of `kind`, spawned by its `box`, as a pid of ours. From a process.
otp::pid spawn_in(otp::dist::erlang::distribution& dist, const std::string& beam, term kind) {
  dist.send("box", beam, term::tuple({atom("spawn"), term{dist.pid_of(otp::self())}, kind}));
  auto t = otp::receive<term>(10s);
  REQUIRE(t);
  REQUIRE(t->is_tuple());
  auto* p = (*t)[1].get_if<erlang_pid>();
  REQUIRE(p != nullptr);
  return dist.process(*p);
}

struct no_term_form {
  int x = 0;
};

struct beam_node {
  test_erl::epmd e;
  cpp_node cpp;
  test_erl::erl beam;
  std::string beam_name = fmt::format("beam@{}", host());
  explicit beam_node(std::chrono::milliseconds tick = 60s)
    : cpp{e, "cpp", "sesame", tick},
      beam{e,
           "beam",
           "sesame",
           spawner,
           {"-kernel", "net_ticktime", std::to_string(std::max<long>(1, tick.count() / 1000))}} {
    REQUIRE(beam.wait_for("ready", 15s));
  }
  otp::pid spawn(term kind) { return spawn_in(*cpp.dist, beam_name, std::move(kind)); }
};

}  // namespace

TEST_CASE(
  "erlang pid: send to an Erlang process by its otp::pid, which prints and compares as Erlang's") {
  SKIP_WITHOUT_ERL();
  beam_node n;
  auto& dist = *n.cpp.dist;
  struct result {
    std::string printed, erlang_printed;
    bool same = false, hashed = false, distinct = false, id = false;
    std::optional<term> echoed;
  };
  auto r = in_process(n.cpp.node, [&] {
    result out;
    dist.send("box", n.beam_name,
              term::tuple({atom("spawn"), term{dist.pid_of(otp::self())}, atom("echo")}));
    auto t = otp::receive<term>(10s);
    REQUIRE(t);
    const auto* found = (*t)[1].get_if<erlang_pid>();
    REQUIRE(found != nullptr);
    auto e = found != nullptr ? *found : erlang_pid{};  // (REQUIRE stopped already if null)
    auto p = dist.process(e);
    out.printed = fmt::format("{}", p);
    out.erlang_printed = fmt::format("{}", e);
    out.same = dist.process(e) == p;  // the same Erlang pid, met again
    std::unordered_set<otp::pid> set{p};
    out.hashed = set.count(dist.process(e)) == 1;
    out.distinct = p != otp::self() && !(p == otp::pid{});
    out.id = p.id() != otp::self().id() && p.print_parts().id == e.id;
    otp::send(p, atom("hello"));        // an otp::term
    otp::send(p, std::string{"text"});  // a std::string: a binary
    otp::send(p, no_term_form{1});      // refused and logged, never sent
    otp::send(p, 42);                   // an integer
    otp::send(p, term::tuple({term{dist.pid_of(otp::self())}, atom("ping")}));
    out.echoed = otp::receive<term>(10s);
    return out;
  });
  CHECK(r.printed == r.erlang_printed);  // <N.Id.Serial>, N the node's index here
  CHECK(r.printed.starts_with("<"));
  CHECK(!r.printed.starts_with("<0."));
  CHECK(r.same);
  CHECK(r.hashed);
  CHECK(r.distinct);
  CHECK(r.id);
  CHECK(n.beam.line(10s) == "got hello");
  CHECK(n.beam.line(10s) == "got <<\"text\">>");
  CHECK(n.beam.line(10s) == "got 42");  // the refused message never arrived
  REQUIRE(r.echoed);
  CHECK(*r.echoed == term::tuple({atom("echoed"), atom("ping")}));
}

TEST_CASE("erlang pid: links both ways, exits propagate both ways") {
  SKIP_WITHOUT_ERL();
  beam_node n;
  auto& node = n.cpp.node;
  auto& dist = *n.cpp.dist;
  SUBCASE("we link: the Erlang process's exit (EXIT) kills our process") {
    auto ours = otp::spawn(node, [&] {
      auto p = n.spawn(atom("waiter"));
      otp::link(p);
      otp::send(p, term::tuple({atom("exit"), atom("boom")}));
      (void)otp::receive<term>(10s);
    });
    auto reason = otp::await_exit(ours, 15s);
    REQUIRE(reason);
    CHECK(reason->detail() == "boom");
  }
  SUBCASE("we link and trap exits: exit_signal from the Erlang pid") {
    auto got = in_process(node, [&] {
      otp::trap_exit(true);
      auto p = n.spawn(atom("waiter"));
      otp::link(p);
      otp::send(p, term::tuple({atom("exit"), atom("boom")}));
      auto e = otp::receive<otp::exit_signal>(10s);
      return e && e->from == p && e->reason.detail() == "boom";
    });
    CHECK(got);
  }
  SUBCASE("we link: our exit reaches the trapping Erlang process as EXIT") {
    otp::spawn(node, [&] {
      auto p = n.spawn(atom("trapper"));
      otp::link(p);
      otp::exit(exit_reason::error("told to"));
    });
    CHECK(n.beam.line(10s).value_or("(nothing)") == "trapped {error,<<\"told to\">>}");
  }
  SUBCASE("Erlang links (LINK): its exit kills our process") {
    std::promise<otp::pid> linker;
    auto ours = otp::spawn(node, [&] {
      auto me = term{dist.pid_of(otp::self())};
      linker.set_value(n.spawn(term::tuple({atom("linker"), me, atom("false")})));
      (void)otp::receive<term>(15s);
    });
    auto f = linker.get_future();
    REQUIRE(f.wait_for(15s) == std::future_status::ready);
    auto p = f.get();
    REQUIRE(n.beam.line(10s) == "linked");
    otp::send(p, term::tuple({atom("exit"), atom("bye")}));  // from a plain thread
    auto reason = otp::await_exit(ours, 15s);
    REQUIRE(reason);
    CHECK(reason->detail() == "bye");
  }
  SUBCASE("Erlang links (LINK) and traps exits: our exit reaches it") {
    std::promise<void> spawned;
    auto ours = otp::spawn(node, [&] {
      auto me = term{dist.pid_of(otp::self())};
      n.spawn(term::tuple({atom("linker"), me, atom("true")}));
      spawned.set_value();
      (void)otp::receive<term>(15s);  // told to go on once Erlang has linked
      otp::exit(exit_reason::error("ours"));
    });
    REQUIRE(spawned.get_future().wait_for(15s) == std::future_status::ready);
    REQUIRE(n.beam.line(10s) == "linked");
    otp::send(ours, atom("go"));
    CHECK(n.beam.line(10s).value_or("(nothing)") == "trapped {error,<<\"ours\">>}");
  }
  SUBCASE("unlink (UNLINK_ID): the Erlang process's exit no longer reaches us") {
    auto survived = in_process(node, [&] {
      auto p = n.spawn(atom("waiter"));
      otp::link(p);
      otp::unlink(p);
      otp::monitor(p);  // to know when it has gone
      otp::send(p, term::tuple({atom("exit"), atom("boom")}));
      auto d = otp::receive<otp::down>(10s);
      return d && d->pid == p && d->reason.detail() == "boom";
    });
    CHECK(survived);
  }
}

TEST_CASE("erlang pid: monitors both ways give the exit reason, exit/2 reaches Erlang") {
  SKIP_WITHOUT_ERL();
  beam_node n;
  auto& node = n.cpp.node;
  auto& dist = *n.cpp.dist;
  SUBCASE("we monitor (MONITOR_P): MONITOR_P_EXIT is the usual down") {
    auto got = in_process(node, [&] {
      auto p = n.spawn(atom("waiter"));
      otp::monitor(p);
      otp::send(p, term::tuple({atom("exit"), atom("bye")}));
      auto d = otp::receive<otp::down>(10s);
      return d && d->pid == p && d->reason.detail() == "bye";
    });
    CHECK(got);
  }
  SUBCASE("we monitor a process that is gone: noproc") {
    auto got = in_process(node, [&] {
      auto p = n.spawn(atom("waiter"));
      otp::monitor(p);
      otp::send(p, term::tuple({atom("exit"), atom("normal")}));
      auto d = otp::receive<otp::down>(10s);
      if (!d || !d->reason.is_normal())
        return false;
      otp::monitor(p);  // again, now that it is gone
      d = otp::receive<otp::down>(10s);
      return d && d->pid == p && d->reason.what() == exit_reason::kind::noproc;
    });
    CHECK(got);
  }
  SUBCASE("demonitor (DEMONITOR_P): no down") {
    auto got = in_process(node, [&] {
      auto p = n.spawn(atom("waiter"));
      auto witness = n.spawn(atom("waiter"));
      otp::monitor(p);
      otp::demonitor(p);
      otp::monitor(witness);
      otp::send(p, term::tuple({atom("exit"), atom("bye")}));
      otp::send(witness, term::tuple({atom("exit"), atom("later")}));
      auto d = otp::receive<otp::down>(10s);  // the witness's only
      return d && d->pid == witness && !otp::receive<otp::down>(300ms);
    });
    CHECK(got);
  }
  SUBCASE("Erlang monitors ours: its 'DOWN' has our reason") {
    std::promise<void> spawned;
    auto ours = otp::spawn(node, [&] {
      n.spawn(term::tuple({atom("monitorer"), term{dist.pid_of(otp::self())}}));
      spawned.set_value();
      (void)otp::receive<term>(15s);  // told to go on once Erlang monitors
      otp::exit(exit_reason::error("mine"));
    });
    REQUIRE(spawned.get_future().wait_for(15s) == std::future_status::ready);
    REQUIRE(n.beam.line(10s) == "monitoring");
    otp::send(ours, atom("go"));
    CHECK(n.beam.line(10s).value_or("(nothing)") == "down {error,<<\"mine\">>}");
  }
  SUBCASE("otp::exit(pid, Reason) is EXIT2: a trapping Erlang process gets it") {
    otp::spawn(node, [&] {
      auto p = n.spawn(atom("trapper"));
      otp::exit(p, exit_reason::shutdown());
    });
    CHECK(n.beam.line(10s) == "trapped shutdown");
  }
  SUBCASE("otp::exit(pid, Reason) from a plain thread: EXIT2 from our null pid") {
    auto p = in_process(node, [&] { return n.spawn(atom("trapper")); });
    otp::exit(p, exit_reason::shutdown());
    CHECK(n.beam.line(10s) == "trapped shutdown");
  }
  SUBCASE("otp::exit(pid, kill): killed, trapping or not") {
    auto got = in_process(node, [&] {
      auto p = n.spawn(atom("trapper"));
      otp::monitor(p);
      otp::exit(p, exit_reason::kill());
      auto d = otp::receive<otp::down>(10s);
      return d && d->pid == p && d->reason.what() == exit_reason::kind::killed;
    });
    CHECK(got);
  }
}

TEST_CASE("erlang pid: kill -9 of the Erlang node is noconnection for links and monitors") {
  SKIP_WITHOUT_ERL();
  const auto tick = 2s;
  beam_node n{tick};
  auto& node = n.cpp.node;
  std::promise<void> ready;
  std::promise<std::optional<otp::exit_signal>> trapped;
  std::promise<std::optional<otp::down>> down;
  std::atomic<int> set_up{0};
  auto done = [&] {
    if (++set_up == 3)
      ready.set_value();
  };
  auto linked = otp::spawn(node, [&] {  // does not trap: dies with noconnection
    otp::link(n.spawn(atom("waiter")));
    done();
    (void)otp::receive<term>(30s);
  });
  otp::spawn(node, [&] {
    otp::trap_exit(true);
    otp::link(n.spawn(atom("waiter")));
    done();
    trapped.set_value(otp::receive<otp::exit_signal>(30s));
  });
  otp::spawn(node, [&] {
    otp::monitor(n.spawn(atom("waiter")));
    done();
    down.set_value(otp::receive<otp::down>(30s));
  });
  REQUIRE(ready.get_future().wait_for(20s) == std::future_status::ready);
  auto killed_at = std::chrono::steady_clock::now();
  n.beam.stop();  // kill -9, by its pid
  auto reason = otp::await_exit(linked, 2 * tick);
  auto t = trapped.get_future();
  auto d = down.get_future();
  REQUIRE(t.wait_for(2 * tick) == std::future_status::ready);
  REQUIRE(d.wait_for(2 * tick) == std::future_status::ready);
  auto took = std::chrono::steady_clock::now() - killed_at;
  MESSAGE("noconnection after ",
          std::chrono::duration_cast<std::chrono::milliseconds>(took).count(), " ms");
  CHECK(took < tick);
  REQUIRE(reason);
  CHECK(reason->what() == exit_reason::kind::noconnection);
  auto e = t.get();
  REQUIRE(e);
  CHECK(e->reason.what() == exit_reason::kind::noconnection);
  auto dn = d.get();
  REQUIRE(dn);
  CHECK(dn->reason.what() == exit_reason::kind::noconnection);
}
