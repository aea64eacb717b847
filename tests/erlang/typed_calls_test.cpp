// Ensure that typed gen_server requests cross between caf-otp nodes over Erlang's
// distribution, over TCP and over Unix sockets: `otp::gen_server::call(remote, bump{10})` goes
// on the wire as {'$gen_call', From, {bump,10}}, the served counter's handle_call(const bump&)
// answers, and the reply converts back to the C++ type. Requests the server has no type for,
// or whose fields do not fit, are refused with badarg and logged; so is a reply that does not
// fit the caller's type.

#include "otp/dist/erlang.hpp"
#include "otp/gen_server.hpp"
#include "otp/logger.hpp"

#include "in_process.hpp"
#include "typed_servers.hpp"
#include "uds_nodes.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <mutex>

using namespace std::chrono_literals;
namespace erl = otp::dist::erlang;
using test_erl::in_process;

namespace {

/// The node's notices, as the tests of refusals read them.
struct notice_log {
  std::mutex mtx;
  std::vector<std::string> texts;
  otp::node& node;
  explicit notice_log(otp::node& n) : node(n) {
    node.logger().set_level(otp::log_level::notice);
    node.logger().set_sink([this](const otp::log_event& e) {
      std::lock_guard guard{mtx};
      texts.push_back(e.text);
    });
  }
  // The node outlives the log: what it reports while it stops goes to stderr.
  ~notice_log() { node.logger().set_sink({}); }
  notice_log(const notice_log&) = delete;
  notice_log& operator=(const notice_log&) = delete;
  bool has(std::string_view part) {
    std::lock_guard guard{mtx};
    for (const auto& t : texts)
      if (t.find(part) != std::string::npos)
        return true;
    return false;
  }
};

std::string shown(const otp::call_error& e) {
  return std::string{to_string(e.what_kind())};
}

/// Alpha calls beta's counter with typed requests; what alpha saw, in order.
std::vector<std::string> typed_calls(otp::node& na, erl::distribution& a, const std::string& beta) {
  return in_process(na, [&] {
    std::vector<std::string> out;
    auto c = a.remote<typed::counter>("counter", beta);
    out.push_back(fmt::format("{}", otp::gen_server::call(c, typed::bump{10})));
    otp::gen_server::cast(c, typed::bump{5});
    out.push_back(fmt::format("{}", otp::gen_server::call(c, typed::where{}).n));
    out.push_back(otp::gen_server::call(c, typed::rename{"north", {"a", "b"}}));
    otp::gen_server::cast(c, typed::reset{3});
    out.push_back(fmt::format("{}", otp::gen_server::call(c, typed::later{})));
    auto nobody =
      otp::gen_server::try_call(a.remote<typed::counter>("nobody", beta), typed::bump{1});
    out.push_back(nobody ? "reply" : shown(nobody.error()));
    auto m = a.remote<typed::counter_misread>("counter", beta);
    auto text = otp::gen_server::try_call(m, typed::bad_bump{"ten"});
    out.push_back(text ? "reply" : shown(text.error()));
    auto unknown = otp::gen_server::try_call(m, typed::nope{});
    out.push_back(unknown ? "reply" : shown(unknown.error()));
    auto misread = otp::gen_server::try_call(m, typed::where{});
    out.push_back(misread ? *misread : shown(misread.error()));
    // The counter is unchanged by what it refused.
    out.push_back(fmt::format("{}", otp::gen_server::call(c, typed::bump{0})));
    return out;
  });
}

const std::vector<std::string> expected_calls{"10",     "15",     "north:a,b", "3", "noproc",
                                              "badarg", "badarg", "badarg",    "3"};

void check_refusals_logged(notice_log& server, notice_log& client) {
  // The server says what it refused and why; the client, which reply did not fit.
  CHECK(
    server.has("refused: wrong_type at {2}: expected an integer in [-2147483648, "
               "2147483647], got <<\"ten\">>"));
  CHECK(server.has("refused: no request type of the server takes {nope}"));
  CHECK(
    client.has("does not fit: wrong_type: expected a binary or a string (a list of code "
               "points), got {total,3}"));
}

std::unique_ptr<erl::distribution> start_tcp(otp::node& n, const std::string& name) {
  erl::options o;
  o.name = name;
  o.cookie = "c";
  o.use_epmd = false;
  o.listen_address = "127.0.0.1";
  auto d = erl::distribution::start(n, o);
  REQUIRE_MESSAGE(d.has_value(), fmt::format("{}", d ? otp::dist::dist_error{} : d.error()));
  return std::move(*d);
}

/// Two nodes, alpha and beta, each logging its notices; beta serves a typed counter.
struct two_nodes {
  otp::node na;
  otp::node nb;
  notice_log alpha_log{na};
  notice_log beta_log{nb};
  std::unique_ptr<erl::distribution> a;
  std::unique_ptr<erl::distribution> b;

  /// Beta's counter, named "counter", served on its distribution.
  void serve_counter() {
    auto s = otp::gen_server::start<typed::counter>(nb, otp::start_options{.name = "counter"});
    REQUIRE(s);
    b->serve(*s);
  }
};

/// Over Unix sockets, in `d`.
struct uds_nodes : two_nodes {
  explicit uds_nodes(const test_erl::node_dir& d) {
    a = test_erl::start_uds(na, d, "alpha");
    b = test_erl::start_uds(nb, d, "beta");
    serve_counter();
  }
};

}  // namespace

TEST_CASE("erlang dist between C++ nodes: typed calls and casts over TCP") {
  two_nodes n;
  n.a = start_tcp(n.na, "alpha@127.0.0.1");
  n.b = start_tcp(n.nb, "beta@127.0.0.1");
  n.serve_counter();
  REQUIRE(n.a->connect(fmt::format("{}:{}", n.b->name(), n.b->port()), 10s));
  CHECK(typed_calls(n.na, *n.a, n.b->name()) == expected_calls);
  check_refusals_logged(n.beta_log, n.alpha_log);
}

TEST_CASE("erlang dist between C++ nodes: typed calls and casts over Unix sockets") {
  test_erl::node_dir d;
  uds_nodes n{d};
  CHECK(typed_calls(n.na, *n.a, n.b->name()) == expected_calls);
  check_refusals_logged(n.beta_log, n.alpha_log);
}

TEST_CASE("erlang dist between C++ nodes: a typed call from a plain thread, and a cast's refusal") {
  test_erl::node_dir d;
  uds_nodes n{d};
  auto& a = n.a;
  auto& b = n.b;
  auto& beta_log = n.beta_log;
  auto c = a->remote<typed::counter>("counter", b->name());
  CHECK(otp::gen_server::call(c, typed::bump{7}) == 7);
  // A cast of a term the counter has no type for: dropped and logged, the server unharmed.
  a->send("counter", b->name(),
          otp::term::tuple({otp::term::make_atom("$gen_cast"), otp::term::make_atom("junk")}));
  CHECK(otp::gen_server::call(c, typed::bump{1}) == 8);
  CHECK(beta_log.has("cast to"));
  CHECK(beta_log.has("refused: no request type of the server takes junk"));
  try {
    otp::gen_server::call(a->remote<typed::counter_misread>("counter", b->name()), typed::nope{});
    FAIL("a refused call returned");
  } catch (const otp::call_error& e) {
    CHECK(e.what_kind() == otp::call_error::kind::badarg);
  }
}

namespace {

struct twin_bump {  // bump's shape again: {bump, By}
  std::int32_t by = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, twin_bump& x) {
  return f(caf::meta::type_name("bump"), x.by);
}

class twins {
 public:
  using remote_requests = otp::types<typed::bump, twin_bump>;
  std::int32_t handle_call(const typed::bump&) { return 1; }
  std::int32_t handle_call(const twin_bump&) { return 2; }
};

}  // namespace

TEST_CASE("erlang dist between C++ nodes: two request types of one shape are a logged warning") {
  test_erl::node_dir d;
  uds_nodes n{d};
  auto s = otp::gen_server::start<twins>(n.nb, otp::start_options{.name = "twins"});
  REQUIRE(s);
  n.b->serve(*s);
  CHECK(
    n.beta_log.has("serve: two request types are {bump, ...} of size 2: the first listed in "
                   "remote_requests takes every such request"));
  CHECK_FALSE(n.beta_log.has("of size 3"));
  // The first listed takes it.
  CHECK(otp::gen_server::call(n.a->remote<twins>("twins", n.b->name()), twin_bump{5}) == 1);
}
