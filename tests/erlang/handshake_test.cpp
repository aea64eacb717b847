// Ensure that the Erlang handshake (version 6) machine agrees with itself, computes Erlang's
// digest, and refuses wrong cookies, old peers, malformed and oversized frames with typed
// errors and without throwing.

#include "dist/erlang/handshake.hpp"
#include "dist/wire.hpp"

#include <doctest/doctest.h>

#include <random>

using namespace otp::dist;
using namespace otp::dist::erlang;
using bytes = std::vector<std::uint8_t>;

namespace {

node_info info(std::string name, std::uint32_t creation) {
  return node_info{std::move(name), advertised_flags, creation};
}

/// Feeds `in` to `m` as its driver would: never more than it wants. Returns what it answered.
bytes feed_all(handshake& m, bytes in) {
  bytes out;
  std::size_t at = 0;
  while (at < in.size() && m.want() > 0) {
    auto n = std::min(m.want(), in.size() - at);
    auto reply = m.feed(std::span{in}.subspan(at, n));
    out.insert(out.end(), reply.begin(), reply.end());
    at += n;
  }
  return out;
}

/// Runs both machines until neither has anything to say.
void converse(handshake& initiator, handshake& acceptor) {
  acceptor.start();
  auto to_acceptor = initiator.start();
  for (int round = 0; round < 10 && !to_acceptor.empty(); ++round) {
    auto to_initiator = feed_all(acceptor, to_acceptor);
    to_acceptor = feed_all(initiator, to_initiator);
  }
}

handshake initiator(std::string cookie, std::optional<std::string> dialled = "beam@host") {
  return handshake{handshake::role::initiator, info("cpp@host", 7), std::move(cookie), {},
                   std::move(dialled),         [] { return 1234u; }};
}

handshake acceptor(std::string cookie, handshake::admit_fn admit = {}) {
  return handshake{handshake::role::acceptor, info("beam@host", 9), std::move(cookie),
                   std::move(admit),          std::nullopt,         [] { return 5678u; }};
}

bytes frame(std::string_view payload) {
  bytes out;
  otp::dist::wire::put(out, payload.size(), 2);
  otp::dist::wire::put(out, payload);
  return out;
}

}  // namespace

TEST_CASE("erlang handshake: the digest is Erlang's md5(Cookie ++ integer_to_list(Challenge))") {
  // erlang:md5(["secret"|integer_to_list(3735928559)]) in erl.
  digest expected{195, 147, 155, 49, 215, 169, 19, 216, 46, 42, 206, 9, 36, 124, 123, 65};
  CHECK(gen_digest(3735928559u, "secret") == expected);
}

TEST_CASE("erlang handshake: initiator and acceptor with one cookie both finish") {
  auto a = initiator("c00kie");
  auto b = acceptor("c00kie");
  converse(a, b);
  REQUIRE(a.current() == handshake::state::done);
  REQUIRE(b.current() == handshake::state::done);
  CHECK(a.peer().name == "beam@host");
  CHECK(a.peer().creation == 9);
  CHECK(b.peer().name == "cpp@host");
  CHECK(b.peer().creation == 7);
  CHECK(b.peer().flags == advertised_flags);
}

TEST_CASE("erlang handshake: the initiator's send_name is Erlang's 'N' frame") {
  auto a = initiator("c");
  auto out = a.start();
  // length 2 bytes, 'N', flags u64, creation u32, name length u16, name
  REQUIRE(out.size() == 2 + 1 + 8 + 4 + 2 + 8);
  CHECK(out[1] == 1 + 8 + 4 + 2 + 8);
  CHECK(out[2] == 'N');
  CHECK(out[3 + 8 + 3] == 7);  // creation's low byte
  CHECK(std::string(out.end() - 8, out.end()) == "cpp@host");
  CHECK(a.want() == 2);
}

TEST_CASE("erlang handshake: a wrong cookie is refused both ways") {
  auto a = initiator("right");
  auto b = acceptor("wrong");
  converse(a, b);
  // The acceptor sees a wrong digest and closes without a word, as Erlang does...
  REQUIRE(b.current() == handshake::state::failed);
  CHECK(b.error().what == dist_error::kind::not_allowed);
  // ...which the initiator, waiting for the ack, takes as not_allowed.
  REQUIRE(a.current() == handshake::state::running);
  a.closed();
  CHECK(a.error().what == dist_error::kind::not_allowed);
}

TEST_CASE("erlang handshake: an acceptor that acks with a wrong digest is refused") {
  auto a = initiator("right");
  auto b = acceptor("right");
  b.start();
  auto reply = feed_all(b, a.start());
  feed_all(a, reply);  // a now sent its challenge reply and waits for 'a'
  REQUIRE(a.current() == handshake::state::running);
  bytes ack = frame(std::string(1, 'a') + std::string(16, 'x'));
  feed_all(a, ack);
  REQUIRE(a.current() == handshake::state::failed);
  CHECK(a.error().what == dist_error::kind::not_allowed);
}

TEST_CASE("erlang handshake: the initiator refuses a node other than the one it dialled") {
  auto a = initiator("c", "other@host");
  auto b = acceptor("c");
  converse(a, b);
  REQUIRE(a.current() == handshake::state::failed);
  CHECK(a.error().what == dist_error::kind::wrong_node);
}

TEST_CASE("erlang handshake: a refused admission says nok and the initiator fails duplicate_name") {
  auto a = initiator("c");
  auto b = acceptor("c", [](const node_info&) {
    return std::optional{dist_error{dist_error::kind::duplicate_name, "connected"}};
  });
  b.start();
  auto reply = feed_all(b, a.start());
  CHECK(b.error().what == dist_error::kind::duplicate_name);
  CHECK(reply == frame("snok"));
  feed_all(a, reply);
  REQUIRE(a.current() == handshake::state::failed);
  CHECK(a.error().what == dist_error::kind::duplicate_name);
}

TEST_CASE("erlang handshake: a peer without OTP 25's mandatory flags is version_mismatch") {
  handshake old{handshake::role::initiator,
                node_info{"cpp@host", dflag::extended_references | dflag::utf8_atoms, 7}, "c"};
  auto b = acceptor("c");
  b.start();
  feed_all(b, old.start());
  REQUIRE(b.current() == handshake::state::failed);
  CHECK(b.error().what == dist_error::kind::version_mismatch);

  auto v5 = acceptor("c");
  v5.start();
  feed_all(v5, frame(std::string("n\x00\x05\x00\x00\x00\x00", 7) + "old@host"));
  CHECK(v5.error().what == dist_error::kind::version_mismatch);
}

TEST_CASE("erlang handshake: empty, oversized and malformed frames are typed errors") {
  auto b = acceptor("c");
  b.start();
  b.feed(bytes{0, 0});
  CHECK(b.error().what == dist_error::kind::malformed);

  auto big = acceptor("c");
  big.start();
  big.feed(bytes{0x10, 0x00});  // 4096 bytes announced: refused from the header alone
  CHECK(big.error().what == dist_error::kind::oversized);
  CHECK(big.want() == 0);

  auto short_name = acceptor("c");
  short_name.start();
  feed_all(short_name, frame(std::string("N") + std::string(8, '\xff')));
  CHECK(short_name.error().what == dist_error::kind::malformed);

  auto status = initiator("c");
  status.start();
  feed_all(status, frame("sweird"));
  CHECK(status.error().what == dist_error::kind::malformed);

  auto more = acceptor("c");
  more.start();
  CHECK_THROWS_AS(more.feed(bytes{0, 5, 1}), std::logic_error);
}

TEST_CASE("erlang handshake: random bytes never throw nor hang either role") {
  std::mt19937 rng{18};
  for (int i = 0; i < 2000; ++i) {
    auto m = i % 2 == 0 ? acceptor("c") : initiator("c");
    m.start();
    bytes noise(rng() % 64);
    for (auto& b : noise)
      b = static_cast<std::uint8_t>(rng());
    if (noise.size() >= 2 && i % 3 == 0) {  // a plausible header, so bodies get parsed too
      noise[0] = 0;
      noise[1] = static_cast<std::uint8_t>(noise.size() - 2);
    }
    CHECK_NOTHROW(feed_all(m, noise));
    CHECK(m.current() != handshake::state::done);
  }
}
