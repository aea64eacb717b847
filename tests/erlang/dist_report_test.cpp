// Ensure that the observer sees the nodes a caf-otp node reaches over Erlang's distribution as
// it sees BASP's (runtime/node_reports.hpp): each connected node with its carrier, how long
// connected, bytes each way and when it was last heard from; none once disconnected, and no
// report once the distribution has stopped.

#include "otp/dist/erlang.hpp"
#include "otp/gen_server.hpp"
#include "runtime/node_reports.hpp"

#include "uds_nodes.hpp"

#include "../eventually.hpp"

#include <doctest/doctest.h>

using namespace std::chrono_literals;
using otp::term;

namespace {

struct echo {
  term handle_call(const term& request) { return request; }
};

}  // namespace

TEST_CASE("erlang dist report: connected nodes, bytes each way, last heard, for the observer") {
  test_erl::node_dir dir;
  otp::node na;
  otp::node nb;
  auto a = test_erl::start_uds(na, dir, "alpha");
  {
    auto b = test_erl::start_uds(nb, dir, "beta");
    b->serve(otp::gen_server::start<echo>(nb, otp::start_options{.name = "echo"}).value());
    auto before = otp::detail::report_dist(na);
    REQUIRE(before.has_value());
    CHECK(before->self == a->name());
    CHECK(before->peers.empty());
    for (int i = 0; i < 10; ++i)
      REQUIRE(a->call("echo", b->name(), term::binary(std::string(1000, 'x')), 5s).has_value());
    auto report = otp::detail::report_dist(na);
    REQUIRE(report.has_value());
    CHECK(report->tick_time == 60s);
    REQUIRE(report->peers.size() == 1);
    const auto& peer = report->peers.front();
    CHECK(peer.name == b->name());
    CHECK(peer.via == "uds");
    CHECK(peer.bytes_out.value_or(0) > 10 * 1000);  // ten requests of 1000 bytes and more
    CHECK(peer.bytes_in.value_or(0) > 10 * 1000);   // their echoes
    REQUIRE(peer.last_heard.has_value());
    CHECK(*peer.last_heard < 5s);
    CHECK(peer.connected_for < 60s);
    REQUIRE(a->disconnect(b->name()));
    CHECK(test_util::eventually([&] { return otp::detail::report_dist(na)->peers.empty(); }));
  }
  a.reset();
  CHECK_FALSE(otp::detail::report_dist(na).has_value());
}
