// Ensure that typed gen_server requests cross between a caf-otp node and a real Erlang node:
// Erlang's gen_server:call({counter, 'cpp@host'}, {bump, 10}) reaches the C++ counter's
// handle_call(const bump&), records nest and convert both ways, a request no type takes is
// answered {error, badarg}; and a C++ process calls and casts an Erlang process that answers
// gen_server calls, with C++ structs as requests and replies.

#include "cpp_node.hpp"
#include "erl_node.hpp"
#include "in_process.hpp"
#include "typed_servers.hpp"

#include "otp/dist/erlang.hpp"
#include "otp/gen_server.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

using namespace std::chrono_literals;
using test_erl::cpp_node;
using test_erl::host;
using test_erl::in_process;

namespace {

/// A counter that also takes what its types do not, as a term.
class mixed_counter : public typed::counter {
 public:
  using typed::counter::handle_call;
  otp::term handle_call(const otp::term& t) {
    return otp::term::tuple({otp::term::make_atom("untyped"), t});
  }
};

/// What C++ knows of the Erlang process the test runs as `doubler`: it answers {bump, N} with
/// {total, 2N} and prints the casts it gets.
class doubler {
 public:
  using remote_requests = otp::types<typed::bump, typed::rename>;
  typed::total handle_call(const typed::bump&);
  void handle_cast(const typed::rename&);
};

}  // namespace

TEST_CASE("erlang interop: Erlang calls a typed C++ gen_server with records") {
  SKIP_WITHOUT_ERL();
  test_erl::epmd e;
  cpp_node cpp{e, "cpp", "sesame"};
  auto counter =
    otp::gen_server::start<typed::counter>(cpp.node, otp::start_options{.name = "counter"});
  REQUIRE(counter);
  cpp.dist->serve(*counter);
  auto mixed = otp::gen_server::start<mixed_counter>(cpp.node, otp::start_options{.name = "mixed"});
  REQUIRE(mixed);
  cpp.dist->serve(*mixed);
  test_erl::erl beam{
    e, "beam", "sesame",
    fmt::format("S = {{counter, 'cpp@{0}'}}, P = fun(X) -> io:format(\"~p~n\", [X]) end, "
                "P(gen_server:call(S, {{bump, 10}})), "
                "gen_server:cast(S, {{bump, 5}}), "
                "P(gen_server:call(S, {{where}})), "
                "P(gen_server:call(S, {{rename, <<\"north\">>, [\"a\", <<\"b\">>]}})), "
                "P(gen_server:call(S, {{bump, ten}})), "
                "P(gen_server:call(S, {{bump, 1, 2}})), "
                "P(gen_server:call(S, hello)), "
                "gen_server:cast(S, {{reset, 100}}), "
                "P(gen_server:call(S, {{later}})), "
                "M = {{mixed, 'cpp@{0}'}}, "
                "P(gen_server:call(M, {{bump, 2}})), "
                "P(gen_server:call(M, {{bump, 1, 2}})), "
                "halt().",
                host())};
  CHECK(beam.line(15s) == "10");
  CHECK(beam.line(5s) == "{total,15}");
  CHECK(beam.line(5s) == "<<\"north:a,b\">>");
  CHECK(beam.line(5s) == "{error,badarg}");  // bump's tag and size, a field that does not fit
  CHECK(beam.line(5s) == "{error,badarg}");  // bump's tag, another size: no type takes it
  CHECK(beam.line(5s) == "{error,badarg}");
  CHECK(beam.line(5s) == "100");
  CHECK(beam.line(5s) == "2");
  CHECK(beam.line(5s) == "{untyped,{bump,1,2}}");
}

TEST_CASE("erlang interop: a C++ process calls and casts an Erlang server with C++ structs") {
  SKIP_WITHOUT_ERL();
  test_erl::epmd e;
  cpp_node cpp{e, "cpp", "sesame"};
  auto beam_name = fmt::format("beam@{}", host());
  // The gen_server protocol by hand: {'$gen_call', From, {bump, N}} -> {total, 2N}.
  test_erl::erl beam{e, "beam", "sesame",
                     "Loop = fun L() -> receive "
                     "{'$gen_call', From, {bump, N}} -> gen_server:reply(From, {total, 2 * N}), "
                     "L(); "
                     "{'$gen_cast', C} -> io:format(\"cast ~p~n\", [C]), L() end end, "
                     "register(doubler, self()), io:format(\"ready~n\"), Loop()."};
  REQUIRE(beam.wait_for("ready", 15s));
  auto* dist = cpp.dist.get();
  auto got = in_process(cpp.node, [&] {
    auto d = dist->remote<doubler>("doubler", beam_name);
    auto r = otp::gen_server::try_call(d, typed::bump{21});
    otp::gen_server::cast(d, typed::rename{"x", {"y"}});
    return r ? r->n : -1;
  });
  CHECK(got == 42);
  CHECK(beam.line(10s) == "cast {rename,<<\"x\">>,[<<\"y\">>]}");
  // From a plain thread too.
  CHECK(otp::gen_server::call(dist->remote<doubler>("doubler", beam_name), typed::bump{-4}).n
        == -8);
}
