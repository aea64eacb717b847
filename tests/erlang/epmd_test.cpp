// Ensure that epmd's requests are the bytes epmd expects, that its answers parse (partial ones
// wait, refusals are typed errors), and that data mode's framing and node names are read as
// Erlang writes them.

#include "dist/erlang/epmd.hpp"
#include "dist/erlang/node_name.hpp"
#include "dist/erlang/packet_reader.hpp"

#include <doctest/doctest.h>

using namespace otp::dist;
using namespace otp::dist::erlang;
using bytes = std::vector<std::uint8_t>;

TEST_CASE("epmd: ALIVE2_REQ and PORT_PLEASE2_REQ are framed as epmd reads them") {
  auto alive = epmd::alive2_request("cpp", 0x1234);
  bytes expected{0, 16, 120, 0x12, 0x34, 72, 0, 0, 6, 0, 6, 0, 3, 'c', 'p', 'p', 0, 0};
  CHECK(alive == expected);
  CHECK(epmd::port_please2_request("beam") == bytes{0, 5, 122, 'b', 'e', 'a', 'm'});
}

TEST_CASE("epmd: ALIVE2 answers give the creation, wait for more bytes, or refuse") {
  auto x = epmd::alive2_response(bytes{118, 0, 0x12, 0x34, 0x56, 0x78});
  REQUIRE(x.has_value());
  CHECK(**x == 0x12345678u);
  auto old = epmd::alive2_response(bytes{121, 0, 0, 3});
  REQUIRE(old.has_value());
  CHECK(**old == 3u);
  auto partial = epmd::alive2_response(bytes{118, 0, 0x12});
  REQUIRE(partial.has_value());
  CHECK_FALSE(partial->has_value());
  auto taken = epmd::alive2_response(bytes{118, 1});
  REQUIRE_FALSE(taken.has_value());
  CHECK(taken.error().what == dist_error::kind::name_in_use);
  CHECK(epmd::alive2_response(bytes{7}).error().what == dist_error::kind::malformed);
}

TEST_CASE("epmd: PORT2_RESP gives the port, or says the node is not there") {
  bytes found{119, 0, 0x9c, 0x40, 77, 0, 0, 6, 0, 6, 0, 4, 'b', 'e', 'a', 'm', 0, 0};
  auto e = epmd::port2_response(found);
  REQUIRE(e.has_value());
  CHECK(e->port == 40000);
  CHECK(e->name == "beam");
  CHECK(epmd::port2_response(bytes{119, 1}).error().what == dist_error::kind::unreachable);
  CHECK(epmd::port2_response(bytes{119, 0, 1}).error().what == dist_error::kind::malformed);
  bytes old = found;
  old[7] = 5;
  old[9] = 5;
  CHECK(epmd::port2_response(old).error().what == dist_error::kind::version_mismatch);
}

TEST_CASE("erlang data mode: packets split anywhere come out whole, ticks are empty") {
  packet_reader r{1024};
  bytes stream{0, 0, 0, 0, 0, 0, 0, 3, 'a', 'b', 'c', 0, 0, 0, 1, 'z'};
  std::vector<bytes> got;
  bytes p;
  for (auto b : stream) {
    REQUIRE(r.feed(bytes{b}).has_value());
    while (r.next(p))
      got.push_back(p);
  }
  REQUIRE(got.size() == 3);
  CHECK(got[0].empty());
  CHECK(got[1] == bytes{'a', 'b', 'c'});
  CHECK(got[2] == bytes{'z'});
}

TEST_CASE("erlang data mode: a packet above the limit is oversized from its length alone") {
  packet_reader r{1024};
  auto fed = r.feed(bytes{0, 0, 4, 1});
  REQUIRE_FALSE(fed.has_value());
  CHECK(fed.error().what == dist_error::kind::oversized);
}

TEST_CASE("erlang node names: name@host, name@host:port, and name alone") {
  auto a = parse_node_address("beam@vm");
  REQUIRE(a.has_value());
  CHECK(a->alive == "beam");
  CHECK(a->host == "vm");
  CHECK_FALSE(a->port.has_value());
  auto b = parse_node_address("beam@127.0.0.1:4370");
  REQUIRE(b.has_value());
  CHECK(b->name == "beam@127.0.0.1");
  CHECK(b->port == 4370);
  auto c = parse_node_address("cpp");
  REQUIRE(c.has_value());
  CHECK(c->name == "cpp@" + short_host_name());
  CHECK_FALSE(parse_node_address("beam@host:0").has_value());
  CHECK_FALSE(parse_node_address("beam@host:x").has_value());
  CHECK_FALSE(parse_node_address("@host").has_value());
  CHECK_FALSE(parse_node_address("a b@host").has_value());
}
