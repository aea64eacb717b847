// Ensure that `otp::gen_server::call` and `cast` through the `otp::pid` of a real Erlang
// gen_server (a module the test compiles in an `erl -sname beam` node) go as Erlang's gen
// module puts them on the wire: C++ structs as records both ways, from a process and a plain
// thread; a reply that does not convert is `badarg` with the reason; the server's exit ends the
// call with its reason, the Erlang node's death with `noconnection`, both at once; and no
// monitor of ours stays on the server once a call is answered or timed out.

#include "cpp_node.hpp"
#include "erl_node.hpp"
#include "in_process.hpp"
#include "typed_servers.hpp"

#include "otp/dist/erlang.hpp"
#include "otp/gen_server.hpp"
#include "otp/process.hpp"
#include "otp/receive.hpp"

#include "../eventually.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <future>

using namespace std::chrono_literals;
using otp::call_error;
using otp::erlang_pid;
using otp::term;
using test_erl::cpp_node;
using test_erl::host;
using test_erl::in_process;

namespace {

/// `ctr`, an Erlang gen_server, compiled and loaded from source, and `box`, which starts one on
/// `{start, Cpp}` (answering `{started, Pid}`) and tells `{monitored_by, Cpp, Pid}` how many
/// processes monitor Pid. ctr counts (`{bump, By}` -> the total), answers `{where}` with
/// `{total, N}`, never answers `{later}`, stops with `boom` `Ms` after `{crash_after, Ms}`,
/// and takes the cast `{reset, To}`.
const char* beam_program =
  "Src = \"-module(ctr). -export([init/1, handle_call/3, handle_cast/2, handle_info/2]). "
  "init(N) -> {ok, N}. "
  "handle_call({bump, By}, _, N) -> {reply, N + By, N + By}; "
  "handle_call({where}, _, N) -> {reply, {total, N}, N}; "
  "handle_call({later}, _, N) -> {noreply, N}; "
  "handle_call({crash_after, Ms}, _, N) -> erlang:send_after(Ms, self(), crash), {noreply, N}. "
  "handle_cast({reset, To}, _) -> {noreply, To}. "
  "handle_info(crash, N) -> {stop, boom, N}; handle_info(_, N) -> {noreply, N}. \", "
  "{ok, Toks, _} = erl_scan:string(Src), "
  "Split = fun S([], [], Acc) -> lists:reverse(Acc); "
  "  S([{dot, _} = D | T], Cur, Acc) -> S(T, [], [lists:reverse([D | Cur]) | Acc]); "
  "  S([H | T], Cur, Acc) -> S(T, [H | Cur], Acc) end, "
  "Forms = [begin {ok, F} = erl_parse:parse_form(Ts), F end || Ts <- Split(Toks, [], [])], "
  "{ok, ctr, Bin} = compile:forms(Forms), "
  "{module, ctr} = code:load_binary(ctr, \"ctr.erl\", Bin), "
  "register(box, self()), io:format(\"ready~n\"), "
  "(fun Loop() -> receive "
  "  {start, Cpp} -> {ok, P} = gen_server:start(ctr, 0, []), Cpp ! {started, P}, Loop(); "
  "  {monitored_by, Cpp, P} -> {monitored_by, L} = process_info(P, monitored_by), "
  "    Cpp ! {monitored_by, length(L)}, Loop() "
  "end end)().";

struct crash_after {  // {crash_after, Ms}
  std::int32_t ms = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, crash_after& x) {
  return f(caf::meta::type_name("crash_after"), x.ms);
}

/// What C++ knows of `ctr`: its requests and replies. (Never run: the calls go to Erlang.)
class ctr {
 public:
  using remote_requests =
    otp::types<typed::bump, typed::where, typed::later, typed::reset, crash_after>;
  std::int32_t handle_call(const typed::bump&) { return 0; }
  typed::total handle_call(const typed::where&) { return {}; }
  std::int32_t handle_call(const typed::later&) { return 0; }
  std::int32_t handle_call(const crash_after&) { return 0; }
  void handle_cast(const typed::reset&) {}
};

/// What a caller wrongly believes of `ctr`: its `where` answers a string.
class ctr_misread {
 public:
  std::string handle_call(const typed::where&) { return {}; }
};

struct beam_ctr {
  test_erl::epmd e;
  cpp_node cpp{e, "cpp", "sesame"};
  test_erl::erl beam{e, "beam", "sesame", beam_program};
  std::string beam_name = fmt::format("beam@{}", host());
  erlang_pid started;  // the last ctr

  beam_ctr() {
    REQUIRE(beam.wait_for("ready", 15s));
    otp::dist::erlang::add_server_types<ctr>();
  }
  /// A new `ctr` in beam, as a pid of ours.
  otp::server_ref<ctr> start() {
    auto& dist = *cpp.dist;
    auto found = in_process(cpp.node, [&] {
      dist.send("box", beam_name,
                term::tuple({term::make_atom("start"), term{dist.pid_of(otp::self())}}));
      auto t = otp::receive<term>(10s);
      const erlang_pid* p = t && t->is_tuple() ? (*t)[1].get_if<erlang_pid>() : nullptr;
      return p != nullptr ? *p : erlang_pid{};
    });
    REQUIRE(found.id != 0);
    started = found;
    return otp::server_ref<ctr>{dist.process(found)};
  }
  /// How many processes monitor the last `ctr` started in beam (-1: no answer).
  int monitors() {
    auto& dist = *cpp.dist;
    return in_process(cpp.node, [&] {
      dist.send("box", beam_name,
                term::tuple({term::make_atom("monitored_by"), term{dist.pid_of(otp::self())},
                             term{started}}));
      auto t = otp::receive<term>(10s);
      const auto* n = t && t->is_tuple() ? (*t)[1].get_if<std::int64_t>() : nullptr;
      return n != nullptr ? static_cast<int>(*n) : -1;
    });
  }
};

}  // namespace

TEST_CASE("erlang pid call: a process and a plain thread call and cast an Erlang gen_server") {
  SKIP_WITHOUT_ERL();
  beam_ctr n;
  auto c = n.start();
  auto got = in_process(n.cpp.node, [&] {
    auto first = otp::gen_server::call(c, typed::bump{10});
    otp::gen_server::cast(c, typed::reset{100});
    auto where = otp::gen_server::try_call(c, typed::where{}, 5s);
    return std::pair{first, where ? where->n : -1};
  });
  CHECK(got == std::pair{10, 100});
  CHECK(otp::gen_server::call(c, typed::bump{1}, 5s) == 101);
  auto where = otp::gen_server::try_call(c, typed::where{});
  REQUIRE(where.has_value());
  CHECK(where->n == 101);
  CHECK(n.monitors() == 0);  // each call's monitor went with it
}

TEST_CASE("erlang pid call: a reply of Erlang's that does not convert is badarg with the reason") {
  SKIP_WITHOUT_ERL();
  beam_ctr n;
  auto c = n.start();
  auto r = otp::gen_server::try_call(otp::server_ref<ctr_misread>{c}, typed::where{}, 5s);
  REQUIRE(!r.has_value());
  CHECK(r.error().what_kind() == call_error::kind::badarg);
  CHECK_MESSAGE(r.error().reason().detail().find("does not fit std::string") != std::string::npos,
                r.error().reason().detail());
  CHECK_MESSAGE(r.error().reason().detail().find("got {total,0}") != std::string::npos,
                r.error().reason().detail());
  CHECK(otp::gen_server::call(c, typed::bump{2}) == 2);  // the server goes on
}

TEST_CASE("erlang pid call: an Erlang server's exit during the call ends it with its reason") {
  SKIP_WITHOUT_ERL();
  beam_ctr n;
  auto c = n.start();
  auto began = std::chrono::steady_clock::now();
  auto r =
    in_process(n.cpp.node, [&] { return otp::gen_server::try_call(c, crash_after{100}, 20s); });
  REQUIRE(!r.has_value());
  CHECK(r.error().what_kind() == call_error::kind::exited);
  CHECK(fmt::format("{}", r.error().reason()).find("boom") != std::string::npos);
  CHECK(std::chrono::steady_clock::now() - began < 5s);
}

TEST_CASE("erlang pid call: a call to an Erlang server that times out leaves no monitor") {
  SKIP_WITHOUT_ERL();
  beam_ctr n;
  auto c = n.start();
  auto call = std::async(std::launch::async,
                         [&] { return otp::gen_server::try_call(c, typed::later{}, 1500ms); });
  // While the call waits, its monitor is on the server.
  CHECK(test_util::eventually([&] { return n.monitors() == 1; }, 1s));
  auto r = call.get();
  REQUIRE(!r.has_value());
  CHECK(r.error().what_kind() == call_error::kind::timeout);
  auto parked = in_process(n.cpp.node, [&] {
    auto x = otp::gen_server::try_call(c, typed::later{}, 300ms);
    return x ? call_error::kind::noproc : x.error().what_kind();
  });
  CHECK(parked == call_error::kind::timeout);
  CHECK(n.monitors() == 0);
  CHECK(otp::gen_server::call(c, typed::bump{3}) == 3);
}

TEST_CASE("erlang pid call: the Erlang node's death ends a call with noconnection") {
  SKIP_WITHOUT_ERL();
  beam_ctr n;
  auto c = n.start();
  std::promise<void> sent;
  auto call = std::async(std::launch::async, [&] {
    return in_process(n.cpp.node, [&] {
      sent.set_value();
      return otp::gen_server::try_call(c, typed::later{}, 20s);
    });
  });
  REQUIRE(sent.get_future().wait_for(5s) == std::future_status::ready);
  std::this_thread::sleep_for(100ms);  // the request on its way
  auto began = std::chrono::steady_clock::now();
  n.beam.signal(SIGKILL);
  REQUIRE(call.wait_for(10s) == std::future_status::ready);
  auto r = call.get();
  REQUIRE(!r.has_value());
  CHECK(r.error().what_kind() == call_error::kind::exited);
  CHECK(r.error().reason() == otp::exit_reason::noconnection());
  CHECK(std::chrono::steady_clock::now() - began < 3s);
}
