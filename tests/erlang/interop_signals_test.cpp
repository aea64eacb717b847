// Ensure that a C++ process reaches Erlang processes as an Erlang process does: it monitors and
// links to Erlang pids (MONITOR_P, LINK, EXIT, MONITOR_P_EXIT on the wire, signals both ways),
// watches a node with monitor_node (nodedown when the Erlang node is killed, at once for a
// node that is not there), and a gen_server callback calls an Erlang server without a thread
// waiting for it.

#include "cpp_node.hpp"
#include "erl_node.hpp"

#include "otp/gen_server.hpp"
#include "otp/process.hpp"
#include "otp/spawn.hpp"

#include "in_process.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <future>
#include <thread>

using namespace std::chrono_literals;
using otp::erlang_pid;
using otp::term;
namespace erl = otp::dist::erlang;
using test_erl::cpp_node;
using test_erl::host;
using test_erl::in_process;

namespace {

/// Erlang hands out three processes: `mon` and `lnk` exit with `bye` / `boom` when told
/// `stop`; `trap` traps exits and prints the first 'EXIT' it gets.
const char* three_processes =
  "register(box, self()), "
  "Mon = spawn(fun() -> receive stop -> exit(bye) end end), "
  "Lnk = spawn(fun() -> receive stop -> exit(boom) end end), "
  "Trap = spawn(fun() -> process_flag(trap_exit, true), "
  "  receive {'EXIT', _, R} -> io:format(\"trapped ~p~n\", [R]) "
  "  after 20000 -> io:format(\"no exit~n\") end end), "
  "io:format(\"ready~n\"), "
  "receive {go, Cpp} -> Cpp ! {pids, Mon, Lnk, Trap} end, timer:sleep(30000).";

}  // namespace

TEST_CASE("erlang interop: a C++ process monitors and links to Erlang pids, signals both ways") {
  SKIP_WITHOUT_ERL();
  test_erl::epmd e;
  cpp_node cpp{e, "cpp", "sesame"};
  test_erl::erl beam{e, "beam", "sesame", three_processes};
  REQUIRE(beam.wait_for("ready", 15s));
  auto* dist = cpp.dist.get();
  auto beam_name = fmt::format("beam@{}", host());
  auto pids = in_process(cpp.node, [&] {
    dist->send("box", beam_name,
               term::tuple({term::make_atom("go"), term{dist->pid_of(otp::self())}}));
    std::vector<erlang_pid> out;
    if (auto t = otp::receive<term>(10s); t && t->is_tuple())
      for (std::size_t k = 1; k < t->size(); ++k)
        if (auto* p = (*t)[k].get_if<erlang_pid>())
          out.push_back(*p);
    return out;
  });
  REQUIRE(pids.size() == 3);
  auto stop = term::make_atom("stop");

  // monitor(Pid): the 'DOWN' names the pid and its exit reason.
  auto down = in_process(cpp.node, [&] {
    auto ref = dist->monitor(pids[0]);
    dist->send(pids[0], stop);
    auto t = otp::receive<term>(10s);
    return t
           && *t
                == term::tuple({term::make_atom("DOWN"), term{ref}, term::make_atom("process"),
                                term{pids[0]}, term::make_atom("bye")});
  });
  CHECK(down);

  // link(Pid): its exit kills our process, which does not trap exits.
  auto linked = otp::spawn(cpp.node, [&] {
    dist->link(pids[1]);
    dist->send(pids[1], stop);
    (void)otp::receive<term>(10s);
  });
  auto reason = otp::await_exit(linked, 15s);
  REQUIRE(reason.has_value());
  CHECK(reason->detail() == "boom");

  // Our exit reaches a linked Erlang process that traps exits as {'EXIT', Pid, Reason}.
  otp::spawn(cpp.node, [&] {
    dist->link(pids[2]);
    otp::exit(otp::exit_reason::error("told to"));
  });
  CHECK(beam.line(10s) == "trapped {error,<<\"told to\">>}");
}

TEST_CASE("erlang interop: a link to a process that is not there is noproc at once") {
  SKIP_WITHOUT_ERL();
  test_erl::epmd e;
  cpp_node cpp{e, "cpp", "sesame"};
  test_erl::erl beam{e, "beam", "sesame",
                     "register(box, self()), io:format(\"ready~n\"), "
                     "receive {go, Cpp} -> P = spawn(fun() -> ok end), timer:sleep(200), "
                     "Cpp ! {gone, P} end, timer:sleep(30000)."};
  REQUIRE(beam.wait_for("ready", 15s));
  auto* dist = cpp.dist.get();
  auto beam_name = fmt::format("beam@{}", host());
  auto linker = otp::spawn(cpp.node, [&] {
    dist->send("box", beam_name,
               term::tuple({term::make_atom("go"), term{dist->pid_of(otp::self())}}));
    auto t = otp::receive<term>(10s);
    if (t && t->is_tuple() && t->size() == 2 && (*t)[1].get_if<erlang_pid>() != nullptr)
      dist->link(*(*t)[1].get_if<erlang_pid>());
    (void)otp::receive<term>(10s);
  });
  auto reason = otp::await_exit(linker, 15s);
  REQUIRE(reason.has_value());
  CHECK(reason->what() == otp::exit_reason::kind::noproc);
}

TEST_CASE("erlang interop: monitor_node gets nodedown when the Erlang node is killed") {
  SKIP_WITHOUT_ERL();
  test_erl::epmd e;
  cpp_node cpp{e, "cpp", "sesame"};
  test_erl::erl beam{e, "beam", "sesame", "io:format(\"ready~n\"), timer:sleep(60000)."};
  REQUIRE(beam.wait_for("ready", 15s));
  auto* dist = cpp.dist.get();
  auto beam_name = fmt::format("beam@{}", host());
  std::promise<std::vector<term>> got;
  otp::spawn(cpp.node, [&] {
    std::vector<term> out;
    // A node nobody runs: nodedown at once.
    dist->monitor_node(fmt::format("nobody@{}", host()));
    if (auto t = otp::receive<term>(10s))
      out.push_back(*t);
    dist->monitor_node(beam_name);  // connects
    if (auto t = otp::receive<term>(20s))
      out.push_back(*t);
    got.set_value(out);
  });
  for (int i = 0; i < 400 && dist->nodes().empty(); ++i)
    std::this_thread::sleep_for(10ms);
  REQUIRE(dist->nodes() == std::vector<std::string>{beam_name});
  beam.stop();  // kill -9, by its pid
  auto f = got.get_future();
  REQUIRE(f.wait_for(20s) == std::future_status::ready);
  auto nodedown = [](const std::string& n) {
    return term::tuple({term::make_atom("nodedown"), term::make_atom(n)});
  };
  CHECK(f.get()
        == std::vector<term>{nodedown(fmt::format("nobody@{}", host())), nodedown(beam_name)});
}

namespace {

/// A C++ gen_server whose handle_call calls an Erlang gen_server and answers with its reply.
struct proxy {
  erl::distribution* dist;
  std::string beam;
  proxy(erl::distribution* d, std::string b) : dist(d), beam(std::move(b)) {}
  term handle_call(const term& request) {
    auto to = request.is_atom("nobody") ? "nobody" : "echo";
    auto r = dist->call(to, beam, request, 5s);
    return r ? *r : term::make_atom(to_string(r.error().what_kind()));
  }
};

}  // namespace

TEST_CASE("erlang interop: a gen_server callback calls an Erlang gen_server") {
  SKIP_WITHOUT_ERL();
  test_erl::epmd e;
  otp::node node{otp::node_options{.threads = 1}};  // one thread: the waits must not hold it
  erl::options o;
  o.name = "cpp";
  o.cookie = "sesame";
  o.epmd_port = e.port();
  auto started = erl::distribution::start(node, o);
  REQUIRE(started.has_value());
  auto& dist = *started;
  // echo: takes two gen_server calls and answers both, {echoed, Request}, only once it has
  // both: the second callback must run while the first waits, on the node's one thread.
  test_erl::erl beam{e, "beam", "sesame",
                     "register(echo, spawn(fun L() -> "
                     "receive {'$gen_call', F1, M1} -> receive {'$gen_call', F2, M2} -> "
                     "gen_server:reply(F2, {echoed, M2}), gen_server:reply(F1, {echoed, M1}) "
                     "end end, L() end)), "
                     "io:format(\"ready~n\"), timer:sleep(60000)."};
  REQUIRE(beam.wait_for("ready", 15s));
  auto beam_name = fmt::format("beam@{}", host());
  auto a = otp::gen_server::start<proxy>(node, otp::start_options{}, dist.get(), beam_name).value();
  auto b = otp::gen_server::start<proxy>(node, otp::start_options{}, dist.get(), beam_name).value();
  // Two callbacks wait for Erlang at once on the node's one thread.
  auto ra = std::async(std::launch::async,
                       [&] { return otp::gen_server::call(a, term::make_atom("hi"), 10s); });
  auto rb = std::async(std::launch::async,
                       [&] { return otp::gen_server::call(b, term::make_atom("ho"), 10s); });
  CHECK(ra.get() == term::tuple({term::make_atom("echoed"), term::make_atom("hi")}));
  CHECK(rb.get() == term::tuple({term::make_atom("echoed"), term::make_atom("ho")}));
  CHECK(otp::gen_server::call(a, term::make_atom("nobody"), 10s) == term::make_atom("noproc"));
}
