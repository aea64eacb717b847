// Ensure that a caf-otp node speaks Erlang's distribution with a real Erlang node (erl from
// erlang-nox), over TCP through an epmd of the test's own: handshakes both ways, a wrong cookie
// refused both ways, net_adm:ping answered pong, messages by name and by pid both ways, ticks
// that keep an idle link up, and nodedown when the Erlang node stops answering.

#include "cpp_node.hpp"
#include "erl_node.hpp"

#include "otp/dist/erlang.hpp"
#include "otp/process.hpp"
#include "otp/spawn.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <future>
#include <thread>

using namespace std::chrono_literals;
using otp::term;
namespace erl = otp::dist::erlang;
using test_erl::cpp_node;
using test_erl::host;

TEST_CASE("erlang interop: net_adm:ping from Erlang answers pong") {
  SKIP_WITHOUT_ERL();
  test_erl::epmd e;
  cpp_node cpp{e, "cpp", "sesame"};
  CHECK(cpp.dist->name() == "cpp@" + host());
  CHECK(cpp.dist->creation() != 0);
  test_erl::erl beam{e, "beam", "sesame",
                     fmt::format("io:format(\"~p~n\", [net_adm:ping('cpp@{}')]), "
                                 "io:format(\"~p~n\", [nodes(hidden)]), halt().",
                                 host())};
  std::string seen;
  CHECK_MESSAGE(beam.wait_for("pong", 15s, &seen), seen);
  auto hidden = beam.line(5s);
  CHECK_MESSAGE(hidden == fmt::format("[cpp@{}]", host()), hidden.value_or("(none)"));
}

TEST_CASE("erlang interop: a wrong cookie is refused when Erlang dials") {
  SKIP_WITHOUT_ERL();
  test_erl::epmd e;
  cpp_node cpp{e, "cpp", "sesame"};
  test_erl::erl beam{e, "beam", "wrong",
                     fmt::format("io:format(\"~p~n\", [net_adm:ping('cpp@{}')]), halt().", host())};
  std::string seen;
  CHECK_MESSAGE(beam.wait_for("pang", 15s, &seen), seen);
  CHECK(cpp.dist->nodes().empty());
}

TEST_CASE("erlang interop: a wrong cookie is refused when we dial, with not_allowed") {
  SKIP_WITHOUT_ERL();
  test_erl::epmd e;
  cpp_node cpp{e, "cpp", "sesame"};
  test_erl::erl beam{e, "beam", "other", "io:format(\"ready~n\"), timer:sleep(20000)."};
  REQUIRE(beam.wait_for("ready", 15s));
  auto r = cpp.dist->connect(fmt::format("beam@{}", host()), 10s);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().what == otp::dist::dist_error::kind::not_allowed);
  CHECK(cpp.dist->nodes().empty());
}

TEST_CASE("erlang interop: we dial Erlang, and messages go both ways by name and by pid") {
  SKIP_WITHOUT_ERL();
  test_erl::epmd e;
  cpp_node cpp{e, "cpp", "sesame"};
  auto beam_name = fmt::format("beam@{}", host());
  // Erlang: box waits for {ping, From}, answers From ! {pong, node()} (SEND to our pid) and
  // {inbox, 'cpp@host'} ! {by_name, self()} (REG_SEND to our name).
  test_erl::erl beam{
    e, "beam", "sesame",
    fmt::format("register(box, self()), io:format(\"ready~n\"), "
                "receive {{ping, From}} -> From ! {{pong, node()}}, "
                "{{inbox, 'cpp@{}'}} ! {{by_name, self()}}, io:format(\"~p~n\", [From]) "
                "after 20000 -> io:format(\"no ping~n\") end, timer:sleep(20000).",
                host())};
  REQUIRE(beam.wait_for("ready", 15s));
  auto connected = cpp.dist->connect(beam_name, 10s);
  REQUIRE_MESSAGE(connected.has_value(), fmt::format("{}", connected.error()));
  CHECK(cpp.dist->nodes() == std::vector<std::string>{beam_name});

  std::promise<std::vector<term>> got;
  auto* dist = cpp.dist.get();
  (void)otp::spawn(cpp.node, [&got, dist, beam_name] {
    // Named before the ping: Erlang answers by name at once (the name registered by the test's
    // thread after the spawn could come too late, and the message by name was dropped).
    std::vector<term> terms;
    if (!dist->register_name("inbox", otp::self()))
      return got.set_value(terms);
    dist->send("box", beam_name,
               term::tuple({term::make_atom("ping"), term{dist->pid_of(otp::self())}}));
    for (int i = 0; i < 2; ++i)
      otp::receive([&](const term& t) { terms.push_back(t); }, otp::after(10s));
    got.set_value(terms);
  });
  auto answer = got.get_future();
  REQUIRE(answer.wait_for(15s) == std::future_status::ready);
  auto terms = answer.get();
  REQUIRE(terms.size() == 2);
  // Erlang sends the pong first, then the message by name; one connection keeps the order.
  CHECK(terms[0] == term::tuple({term::make_atom("pong"), term::make_atom(beam_name)}));
  REQUIRE(terms[1].is_tuple());
  CHECK(terms[1][0].is_atom("by_name"));
  auto* beam_pid = terms[1][1].get_if<otp::erlang_pid>();
  REQUIRE(beam_pid != nullptr);
  CHECK(beam_pid->node.name() == beam_name);
  // A remote pid prints as Erlang prints it: <N.Id.Serial> with N other than 0.
  auto printed = fmt::format("{}", terms[1][1]);
  CHECK(printed.rfind("<0.", 0) != 0);
  CHECK(printed.front() == '<');
  // And Erlang printed our pid the same way.
  auto ours = beam.line(5s);
  REQUIRE(ours.has_value());
  CHECK(ours->front() == '<');
  CHECK(ours->rfind("<0.", 0) != 0);
}

TEST_CASE("erlang interop: Erlang dials us, sends by name, and we send to its pid") {
  SKIP_WITHOUT_ERL();
  test_erl::epmd e;
  cpp_node cpp{e, "cpp", "sesame"};
  std::promise<term> got;
  auto inbox = otp::spawn(
    cpp.node, [&got] { otp::receive([&](const term& t) { got.set_value(t); }, otp::after(20s)); });
  REQUIRE(cpp.dist->register_name("inbox", inbox));
  test_erl::erl beam{e, "beam", "sesame",
                     fmt::format("{{inbox, 'cpp@{}'}} ! {{hello, self(), [1, 2.5, <<\"bin\">>, "
                                 "#{{k => v}}]}}, receive M -> io:format(\"~p~n\", [M]) "
                                 "after 10000 -> io:format(\"nothing~n\") end, halt().",
                                 host())};
  auto answer = got.get_future();
  REQUIRE(answer.wait_for(15s) == std::future_status::ready);
  auto t = answer.get();
  REQUIRE(t.is_tuple());
  CHECK(t[0].is_atom("hello"));
  CHECK(t[2]
        == term::list({1, 2.5, term::binary("bin"),
                       term::map({{term::make_atom("k"), term::make_atom("v")}})}));
  auto* from = t[1].get_if<otp::erlang_pid>();
  REQUIRE(from != nullptr);
  cpp.dist->send(*from, term::tuple({term::make_atom("thanks"), 42}));
  std::string seen;
  CHECK_MESSAGE(beam.wait_for("{thanks,42}", 10s, &seen), seen);
}

TEST_CASE("erlang interop: ticks keep an idle link up, a frozen Erlang node is nodedown") {
  SKIP_WITHOUT_ERL();
  test_erl::epmd e;
  cpp_node cpp{e, "cpp", "sesame", 2s};
  auto beam_name = fmt::format("beam@{}", host());
  test_erl::erl beam{e,
                     "beam",
                     "sesame",
                     "io:format(\"ready~n\"), timer:sleep(60000).",
                     {"-kernel", "net_ticktime", "2"}};
  REQUIRE(beam.wait_for("ready", 15s));
  std::promise<term> down;
  auto watcher = otp::spawn(cpp.node, [&down] {
    for (;;) {
      auto done = false;
      otp::receive(
        [&](const term& t) {
          if (t.is_tuple() && t[0].is_atom("nodedown")) {
            down.set_value(t);
            done = true;
          }
        },
        otp::after(30s, [&] { done = true; }));
      if (done)
        return;
    }
  });
  cpp.dist->monitor_nodes(watcher);
  REQUIRE(cpp.dist->connect(beam_name, 10s).has_value());
  // Idle for twice the tick time: both sides tick, nobody drops the link.
  std::this_thread::sleep_for(4s);
  CHECK(cpp.dist->nodes() == std::vector<std::string>{beam_name});
  // Freeze Erlang: its socket stays open but nothing comes; we drop it within the tick time.
  auto frozen = std::chrono::steady_clock::now();
  beam.signal(SIGSTOP);
  auto answer = down.get_future();
  REQUIRE(answer.wait_for(10s) == std::future_status::ready);
  auto waited = std::chrono::steady_clock::now() - frozen;
  CHECK(answer.get() == term::tuple({term::make_atom("nodedown"), term::make_atom(beam_name)}));
  CHECK(waited <= 2s + 2s / 4 + 200ms);
  CHECK(cpp.dist->nodes().empty());
  beam.stop();
}

namespace {

/// A gen_server that Erlang calls with terms: {bump, N} adds, get reads.
struct term_counter {
  std::int64_t n = 0;

  static std::int64_t bump_of(const term& request) {
    if (request.is_tuple() && request.size() == 2 && request[0].is_atom("bump"))
      return otp::from_term<std::int64_t>(request[1]).value_or(0);
    return 0;
  }
  term handle_call(const term& request) {
    n += bump_of(request);
    return term{n};
  }
  void handle_cast(const term& request) { n += bump_of(request); }
};

}  // namespace

TEST_CASE("erlang interop: gen_server:call and cast from Erlang reach a C++ gen_server") {
  SKIP_WITHOUT_ERL();
  test_erl::epmd e;
  cpp_node cpp{e, "cpp", "sesame"};
  auto counter =
    otp::gen_server::start<term_counter>(cpp.node, otp::start_options{.name = "counter"}).value();
  cpp.dist->serve(counter);
  test_erl::erl beam{
    e, "beam", "sesame",
    fmt::format(
      "S = {{counter, 'cpp@{0}'}}, io:format(\"~p~n\", [gen_server:call(S, {{bump, 5}})]), "
      "gen_server:cast(S, {{bump, 1}}), "
      "io:format(\"~p~n\", [gen_server:call(S, get)]), "
      "io:format(\"~p~n\", [catch gen_server:call({{nobody, 'cpp@{0}'}}, get, 2000)]), "
      "halt().",
      host())};
  CHECK(beam.line(15s) == "5");
  CHECK(beam.line(5s) == "6");
  // A call to a name nobody holds: the monitor says noproc at once, as Erlang's would.
  auto noproc = beam.line(5s);
  REQUIRE(noproc.has_value());
  CHECK(noproc->find("noproc") != std::string::npos);
}

TEST_CASE("erlang interop: Erlang's monitor and link on a C++ process fire when it exits") {
  SKIP_WITHOUT_ERL();
  test_erl::epmd e;
  cpp_node cpp{e, "cpp", "sesame"};
  // worker: waits for {stop, Reason} and exits with it; it hands out its pid first.
  auto worker = otp::spawn(cpp.node, [] {
    otp::receive([](const term& t) {
      if (t.is_tuple() && t.size() == 2 && t[0].is_atom("stop"))
        otp::exit(otp::exit_reason::error("told to"));
    });
  });
  auto monitored = otp::spawn(cpp.node, [] { otp::receive([](const term&) {}); });
  REQUIRE(cpp.dist->register_name("worker", worker));
  REQUIRE(cpp.dist->register_name("monitored", monitored));
  auto worker_pid = cpp.dist->pid_of(worker);
  // Erlang: monitors `monitored` by name, links to `worker` by pid (which we send it), then
  // stops both and prints the 'DOWN' and 'EXIT' it gets.
  test_erl::erl beam{
    e, "beam", "sesame",
    fmt::format("process_flag(trap_exit, true), register(box, self()), io:format(\"ready~n\"), "
                "W = receive {{worker, P}} -> P end, link(W), "
                "Ref = erlang:monitor(process, {{monitored, 'cpp@{0}'}}), "
                "{{monitored, 'cpp@{0}'}} ! bye, "
                "receive {{'DOWN', Ref, process, _, R1}} -> io:format(\"down ~p~n\", [R1]) "
                "after 10000 -> io:format(\"no down~n\") end, "
                "W ! {{stop, now}}, "
                "receive {{'EXIT', W, R2}} -> io:format(\"exit ~p~n\", [R2]) "
                "after 10000 -> io:format(\"no exit~n\") end, halt().",
                host())};
  REQUIRE(beam.wait_for("ready", 15s));
  cpp.dist->send("box", fmt::format("beam@{}", host()),
                 term::tuple({term::make_atom("worker"), term{worker_pid}}));
  CHECK(beam.line(10s) == "down normal");
  CHECK(beam.line(10s) == "exit {error,<<\"told to\">>}");
}

TEST_CASE("erlang interop: a killed Erlang node is nodedown at once, and can come back") {
  SKIP_WITHOUT_ERL();
  test_erl::epmd e;
  cpp_node cpp{e, "cpp", "sesame"};
  auto beam_name = fmt::format("beam@{}", host());
  auto start_beam = [&] {
    return std::make_unique<test_erl::erl>(e, "beam", "sesame",
                                           "io:format(\"ready~n\"), timer:sleep(60000).");
  };
  auto beam = start_beam();
  REQUIRE(beam->wait_for("ready", 15s));
  REQUIRE(cpp.dist->connect(beam_name, 10s).has_value());
  beam->stop();  // SIGKILL: the kernel closes its socket
  bool gone = false;
  for (int i = 0; i < 200 && !gone; ++i) {
    gone = cpp.dist->nodes().empty();
    std::this_thread::sleep_for(10ms);
  }
  CHECK(gone);
  // A new incarnation of the same name is admitted.
  beam = start_beam();
  REQUIRE(beam->wait_for("ready", 15s));
  auto again = cpp.dist->connect(beam_name, 10s);
  CHECK_MESSAGE(again.has_value(),
                fmt::format("{}", again ? otp::dist::dist_error{} : again.error()));
  CHECK(cpp.dist->nodes() == std::vector<std::string>{beam_name});
}

TEST_CASE("erlang interop: without epmd, we dial name@host:port") {
  SKIP_WITHOUT_ERL();
  test_erl::epmd e;  // Erlang's own node still registers; we neither register nor ask
  otp::node node;
  erl::options o;
  o.name = "cpp";
  o.cookie = "sesame";
  o.use_epmd = false;
  o.epmd_port = 1;  // nothing listens there: a lookup would fail
  auto dist = erl::distribution::start(node, o);
  REQUIRE(dist.has_value());
  CHECK((*dist)->creation() >= 4);
  auto port = test_erl::free_port();
  test_erl::erl beam{e,
                     "beam",
                     "sesame",
                     "register(box, self()), io:format(\"ready~n\"), "
                     "receive M -> io:format(\"~p~n\", [M]) after 10000 -> ok end, halt().",
                     {"-kernel", "inet_dist_listen_min", std::to_string(port), "-kernel",
                      "inet_dist_listen_max", std::to_string(port)}};
  REQUIRE(beam.wait_for("ready", 15s));
  auto beam_name = fmt::format("beam@{}", host());
  CHECK_FALSE((*dist)->connect(beam_name, 5s).has_value());  // needs epmd
  auto r = (*dist)->connect(fmt::format("{}:{}", beam_name, port), 10s);
  REQUIRE_MESSAGE(r.has_value(), fmt::format("{}", r ? otp::dist::dist_error{} : r.error()));
  (*dist)->send("box", beam_name, term::make_atom("direct"));
  CHECK(beam.line(10s) == "direct");
}

TEST_CASE("erlang interop: a C++ process calls Erlang gen_servers, with Erlang's errors") {
  SKIP_WITHOUT_ERL();
  test_erl::epmd e;
  cpp_node cpp{e, "cpp", "sesame"};
  auto beam_name = fmt::format("beam@{}", host());
  // mute: a registered process that takes calls and never answers.
  test_erl::erl beam{e, "beam", "sesame",
                     "register(mute, self()), io:format(\"ready~n\"), "
                     "timer:sleep(60000)."};
  REQUIRE(beam.wait_for("ready", 15s));
  std::promise<std::vector<std::string>> done;
  auto* dist = cpp.dist.get();
  otp::spawn(cpp.node, [&done, dist, beam_name] {
    std::vector<std::string> out;
    auto show = [&](const otp::expected<term, otp::call_error>& r) {
      out.push_back(r ? fmt::format("{}", *r) : std::string{to_string(r.error().what_kind())});
    };
    // net_kernel is a gen_server: {is_auth, Node} -> yes, as net_adm:ping asks it.
    show(dist->call("net_kernel", beam_name,
                    term::tuple({term::make_atom("is_auth"), term::make_atom(dist->name())})));
    show(dist->call("nobody", beam_name, term::make_atom("x")));
    show(dist->call("mute", beam_name, term::make_atom("x"), 300ms));
    done.set_value(out);
  });
  auto answer = done.get_future();
  REQUIRE(answer.wait_for(20s) == std::future_status::ready);
  CHECK(answer.get() == std::vector<std::string>{"yes", "noproc", "timeout"});
}

TEST_CASE("erlang interop: a flood of sends waits for the connection instead of drowning Erlang") {
  SKIP_WITHOUT_ERL();
  test_erl::epmd e;
  otp::node node;
  erl::options o;
  o.name = "cpp";
  o.cookie = "sesame";
  o.epmd_port = e.port();
  o.max_queued = 64 * 1024;
  auto dist = erl::distribution::start(node, o).value();
  constexpr int n = 200'000;
  test_erl::erl beam{e, "beam", "sesame",
                     fmt::format("register(sink, self()), io:format(\"ready~n\"), "
                                 "Loop = fun L(0) -> ok; L(K) -> receive _ -> L(K - 1) end end, "
                                 "Loop({}), io:format(\"all~n\").",
                                 n)};
  REQUIRE(beam.wait_for("ready", 15s));
  auto beam_name = fmt::format("beam@{}", host());
  REQUIRE(dist->connect(beam_name, 10s).has_value());
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < n; ++i)
    dist->send("sink", beam_name, term::tuple({term::make_atom("n"), i}));
  std::string seen;
  CHECK_MESSAGE(beam.wait_for("all", 30s, &seen), seen);
  std::chrono::duration<double> took = std::chrono::steady_clock::now() - t0;
  MESSAGE(
    fmt::format("{} messages to Erlang in {:.2f} s: {:.0f}/s", n, took.count(), n / took.count()));
}
