#include "dist/handshake.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <stdexcept>
#include <string>
#include <vector>

using otp::dist::dist_error;
using otp::dist::detail::handshake;
using otp::dist::detail::node_hello;
using kind = dist_error::kind;
using bytes = std::vector<std::uint8_t>;

namespace {

const std::string cookie = "Sesame-7f3a9b21e4-cookie";

node_hello hello(std::string name, std::uint32_t tick_ms = 15000) {
  return node_hello{std::move(name), 7, tick_ms};
}

handshake client(node_hello self = hello("alpha@host"), std::string c = cookie,
                 std::optional<std::string> expected = std::nullopt) {
  return handshake{handshake::role::client, std::move(self), std::move(c), {}, std::move(expected)};
}

handshake server(node_hello self = hello("beta@host"), handshake::admit_fn admit = {},
                 std::string c = cookie) {
  return handshake{handshake::role::server, std::move(self), std::move(c), std::move(admit)};
}

void append(bytes& to, const bytes& from) {
  to.insert(to.end(), from.begin(), from.end());
}

bytes frame(char tag, const bytes& body) {
  auto size = body.size() + 1;
  if (size > 0xffff)  // the length field has 16 bits
    throw std::length_error("frame: body too long");
  // Sized once, then filled: inserting the body into a 3-byte vector sends GCC 12 at -O3 down
  // the vector's growth path, where it reports a copy out of bounds that cannot happen (one of
  // its known -Warray-bounds false positives on std::vector).
  bytes out(2 + size);
  out[0] = static_cast<std::uint8_t>(size >> 8);
  out[1] = static_cast<std::uint8_t>(size);
  out[2] = static_cast<std::uint8_t>(tag);
  std::copy(body.begin(), body.end(), out.begin() + 3);
  return out;
}

bytes frame(char tag, std::string_view body) {
  return frame(tag, bytes(body.begin(), body.end()));
}

bytes hello_body(const node_hello& h) {
  bytes out{static_cast<std::uint8_t>(h.version >> 8), static_cast<std::uint8_t>(h.version)};
  for (auto v : {h.creation, h.tick_ms})
    for (int shift = 24; shift >= 0; shift -= 8)
      out.push_back(static_cast<std::uint8_t>(v >> shift));
  out.push_back(static_cast<std::uint8_t>(h.name.size()));
  out.insert(out.end(), h.name.begin(), h.name.end());
  return out;
}

/// Feeds `in` to `m` in want()-sized chunks while it wants more; returns what `m` said.
bytes feed(handshake& m, const bytes& in, std::size_t* consumed = nullptr) {
  bytes said;
  std::size_t pos = 0;
  while (m.want() > 0 && pos < in.size()) {
    auto n = std::min(m.want(), in.size() - pos);
    append(said, m.feed(std::span{in}.subspan(pos, n)));
    pos += n;
  }
  if (consumed)
    *consumed = pos;
  return said;
}

/// A client and a server talking in memory. Each side's stream carries `after` once that side
/// is done: the first bytes of the data mode, which the handshake must leave unread.
struct session {
  handshake c = client();
  handshake s = server();
  std::size_t chunk = 0;  // 0: want()-sized reads
  bytes after = {'B', 'A', 'S', 'P'};
  bytes to_server = {};
  bytes to_client = {};
  std::size_t server_read = 0;
  std::size_t client_read = 0;

  void run() {
    append(to_server, c.start());
    append(to_client, s.start());
    for (bool progress = true; progress;) {
      bool server_moved = pump(s, to_server, server_read, to_client);
      bool client_moved = pump(c, to_client, client_read, to_server);
      progress = server_moved || client_moved;
    }
  }

  bool pump(handshake& m, const bytes& in, std::size_t& read, bytes& out) {
    bool progress = false;
    while (m.want() > 0 && read < in.size()) {
      auto n = std::min({m.want(), in.size() - read, chunk == 0 ? m.want() : chunk});
      append(out, m.feed(std::span{in}.subspan(read, n)));
      read += n;
      if (m.current() == handshake::state::done)
        append(out, after);
      progress = true;
    }
    return progress;
  }

  bool leaks_cookie() const {
    auto has = [](const bytes& b) {
      return std::search(b.begin(), b.end(), cookie.begin(), cookie.end()) != b.end();
    };
    return has(to_server) || has(to_client);
  }
};

void check_refused(const handshake& m, const std::string& reason) {
  CHECK(m.current() == handshake::state::failed);
  CHECK(m.error().what == kind::refused);
  CHECK(m.error().detail == reason);
  CHECK(m.want() == 0);
}

}  // namespace

TEST_CASE("handshake: client and server agree, in want()-sized reads and byte by byte") {
  for (std::size_t chunk : {0, 1}) {
    session t;
    t.chunk = chunk;
    t.run();
    REQUIRE(t.c.current() == handshake::state::done);
    REQUIRE(t.s.current() == handshake::state::done);
    CHECK(t.c.peer() == hello("beta@host"));
    CHECK(t.s.peer() == hello("alpha@host"));
    CHECK(t.c.want() == 0);
    CHECK(t.s.want() == 0);
    // Exactly the handshake was read; the data mode's first bytes are still in the socket.
    CHECK(t.to_server.size() - t.server_read == t.after.size());
    CHECK(t.to_client.size() - t.client_read == t.after.size());
    CHECK_FALSE(t.leaks_cookie());
  }
}

TEST_CASE("handshake: a wrong cookie is not_allowed, and neither cookie is ever sent") {
  session t{client(hello("alpha@host"), "another-cookie-entirely")};
  t.run();
  CHECK(t.s.current() == handshake::state::failed);
  CHECK(t.s.error().what == kind::not_allowed);
  check_refused(t.c, "not_allowed");
  CHECK_FALSE(t.leaks_cookie());
  auto other = std::string_view{"another-cookie-entirely"};
  CHECK(std::search(t.to_server.begin(), t.to_server.end(), other.begin(), other.end())
        == t.to_server.end());
}

TEST_CASE("handshake: version and tick mismatches are refused and reported to the client") {
  auto v2 = hello("alpha@host");
  v2.version = 2;
  session versions{client(v2)};
  versions.run();
  CHECK(versions.s.error().what == kind::version_mismatch);
  check_refused(versions.c, "version_mismatch");

  session ticks{client(hello("alpha@host", 60000))};
  ticks.run();
  CHECK(ticks.s.error().what == kind::tick_mismatch);
  check_refused(ticks.c, "tick_mismatch");

  // The client checks the server's hello too (a server that did not check).
  for (auto bad : {v2, hello("beta@host", 60000)}) {
    bad.name = "beta@host";
    auto c = client();
    c.start();
    auto reply = feed(c, [&] {
      auto in = frame('s', "ok");
      auto body = hello_body(bad);
      body.resize(body.size() + 32, 0xab);
      append(in, frame('N', body));
      return in;
    }());
    CHECK(reply.empty());
    CHECK(c.error().what == (bad.version == 2 ? kind::version_mismatch : kind::tick_mismatch));
  }
}

TEST_CASE("handshake: admit refuses a duplicate name, the client learns why") {
  node_hello seen;
  session t{client(), server(hello("beta@host"), [&](const node_hello& peer) {
              seen = peer;
              return std::optional{dist_error{kind::duplicate_name, "alpha@host is connected"}};
            })};
  t.run();
  CHECK(seen == hello("alpha@host"));
  CHECK(t.s.error().what == kind::duplicate_name);
  CHECK(t.s.error().detail == "alpha@host is connected");
  check_refused(t.c, "duplicate_name");
  // Only the kind crosses the wire, not the server's detail.
  auto detail = std::string_view{"is connected"};
  CHECK(std::search(t.to_client.begin(), t.to_client.end(), detail.begin(), detail.end())
        == t.to_client.end());
}

TEST_CASE("handshake: a client that reaches another node than it dialled fails wrong_node") {
  session t{client(hello("alpha@host"), cookie, "gamma@host")};
  t.run();
  CHECK(t.c.current() == handshake::state::failed);
  CHECK(t.c.error().what == kind::wrong_node);
  CHECK(t.s.current() == handshake::state::running);  // the driver's close ends it

  session same{client(hello("alpha@host"), cookie, "beta@host")};
  same.run();
  CHECK(same.c.current() == handshake::state::done);
}

TEST_CASE("handshake: bad names are refused, ours and the peer's") {
  using otp::dist::detail::valid_node_name;
  CHECK(valid_node_name("a@b"));
  CHECK_FALSE(valid_node_name(""));
  CHECK_FALSE(valid_node_name("alpha"));
  CHECK_FALSE(valid_node_name("@host"));
  CHECK_FALSE(valid_node_name("alpha@"));
  CHECK_FALSE(valid_node_name("al pha@host"));
  CHECK_FALSE(valid_node_name("alpha@h\x01st"));
  CHECK_FALSE(valid_node_name(std::string(254, 'a') + "@h"));

  auto mine = client(hello("no-at-sign"));
  CHECK(mine.current() == handshake::state::failed);
  CHECK(mine.error().what == kind::bad_name);
  CHECK(mine.start().empty());
  CHECK(mine.want() == 0);
  CHECK(client(hello("a@b"), "").error().what == kind::bad_option);

  auto s = server();
  s.start();
  auto reply = feed(s, frame('N', hello_body(hello("bad name@host"))));
  CHECK(s.error().what == kind::bad_name);
  CHECK(reply == frame('s', "bad_name"));

  auto self = server();
  self.start();
  feed(self, frame('N', hello_body(hello("beta@host"))));
  CHECK(self.error().what == kind::duplicate_name);
}

TEST_CASE("handshake: a length of 0 or over the limit fails before any body is read") {
  for (auto [header, what] : {std::pair{bytes{0x04, 0x01}, kind::oversized},
                              std::pair{bytes{0xff, 0xff}, kind::oversized},
                              std::pair{bytes{0x00, 0x00}, kind::malformed}}) {
    auto s = server();
    s.start();
    CHECK(s.want() == 2);
    auto reply = s.feed(header);
    CHECK(s.error().what == what);
    CHECK(s.want() == 0);
    CHECK(reply == frame('s', to_string(what)));

    auto c = client();
    c.start();
    CHECK(c.feed(header).empty());
    CHECK(c.error().what == what);
  }
  auto s = server();
  s.start();
  CHECK(s.feed(bytes{0x04, 0x00}).empty());  // exactly the limit is fine
  CHECK(s.want() == 1024);
}

TEST_CASE("handshake: unknown or out-of-turn tags are malformed") {
  auto s = server();
  s.start();
  feed(s, frame('X', "whatever"));
  CHECK(s.error().what == kind::malformed);

  auto early = server();
  early.start();
  feed(early, frame('r', bytes(64, 0)));
  CHECK(early.error().what == kind::malformed);

  auto c = client();
  c.start();
  feed(c, frame('N', hello_body(hello("beta@host"))));  // a hello before the status
  CHECK(c.error().what == kind::malformed);

  for (auto reason : {std::string_view{""}, std::string_view{"o\x01k"}}) {
    auto bad = client();
    bad.start();
    feed(bad, frame('s', reason));
    CHECK(bad.error().what == kind::malformed);
  }
}

TEST_CASE("handshake: truncated fields and trailing bytes are malformed") {
  auto full = hello_body(hello("alpha@host"));
  for (std::size_t size = 0; size < full.size(); ++size) {
    auto s = server();
    s.start();
    feed(s, frame('N', bytes(full.begin(), full.begin() + static_cast<long>(size))));
    CHECK(s.error().what == kind::malformed);
  }
  auto trailing = full;
  trailing.push_back(0);
  auto s = server();
  s.start();
  feed(s, frame('N', trailing));
  CHECK(s.error().what == kind::malformed);

  // A reply one byte short or long; an ack one byte long.
  for (std::size_t size : {63, 65}) {
    auto fresh = server();
    fresh.start();
    feed(fresh, frame('N', full));
    feed(fresh, frame('r', bytes(size, 1)));
    CHECK(fresh.error().what == kind::malformed);
  }
  auto c = client();
  c.start();
  auto body = hello_body(hello("beta@host"));
  body.resize(body.size() + 32, 0x11);
  auto in = frame('s', "ok");
  append(in, frame('N', body));
  append(in, frame('a', bytes(33, 0)));
  feed(c, in);
  CHECK(c.error().what == kind::malformed);
}

TEST_CASE("handshake: replayed and reflected digests fail not_allowed") {
  // Replay: a recorded challenge reply does not answer a fresh challenge.
  session recorded;
  recorded.run();
  REQUIRE(recorded.s.current() == handshake::state::done);
  auto hello_frame = frame('N', hello_body(hello("alpha@host")));
  bytes reply(recorded.to_server.begin() + static_cast<long>(hello_frame.size()),
              recorded.to_server.end() - static_cast<long>(recorded.after.size()));
  auto s = server();
  s.start();
  feed(s, hello_frame);
  auto answer = feed(s, reply);
  CHECK(s.error().what == kind::not_allowed);
  CHECK(answer == frame('s', "not_allowed"));

  // Reflection to the server: its own challenge sent back as the client's.
  auto r = server();
  r.start();
  auto out = feed(r, hello_frame);
  bytes reflected(64, 0);  // the challenge, then zeros; sized once, as in frame()
  std::copy(out.end() - 32, out.end(), reflected.begin());
  feed(r, frame('r', reflected));
  CHECK(r.error().what == kind::not_allowed);

  // Reflection to the client: its own digest sent back as the server's ack.
  auto c = client();
  c.start();
  auto body = hello_body(hello("beta@host"));
  body.resize(body.size() + 32, 0x5a);
  auto in = frame('s', "ok");
  append(in, frame('N', body));
  auto sent = feed(c, in);
  REQUIRE(sent.size() == 2 + 1 + 64);
  feed(c, frame('a', bytes(sent.end() - 32, sent.end())));
  CHECK(c.error().what == kind::not_allowed);
}

TEST_CASE("handshake: feeding more than want() is a driver bug") {
  auto s = server();
  CHECK(s.want() == 0);  // nothing before start()
  s.start();
  CHECK_THROWS_AS(s.feed(bytes{0, 5, 'N'}), std::logic_error);
  CHECK(s.current() == handshake::state::running);
  CHECK(s.want() == 2);
}
