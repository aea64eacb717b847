#include <otp/net/endpoint.hpp>
#include <otp/net/framing.hpp>
#include <otp/net/listen_socket.hpp>
#include <otp/net/listener.hpp>
#include <otp/node.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using otp::net::frame_decoder;
using otp::net::framing;
using otp::net::net_error;
using otp::net::packet;

namespace {

std::optional<std::string> next(frame_decoder& d) {
  auto r = d.next();
  REQUIRE(r.has_value());
  return *r;
}

/// A connection handler that is never started: the listener is refused first.
struct idle_handler {
  explicit idle_handler(otp::net::socket) {}
};

}  // namespace

TEST_CASE("framing: length prefixes of 1, 2 and 4 bytes, big-endian, across partial reads") {
  for (auto p : {packet::u8, packet::u16, packet::u32}) {
    framing f{p, 200};
    auto header = otp::net::encode_header(f, 3).value();
    CHECK(header.size() == otp::net::header_size(p));
    CHECK(static_cast<unsigned char>(header.back()) == 3);
    frame_decoder d{f};
    std::string stream = header + "abc" + otp::net::encode_header(f, 0).value() + header + "xyz";
    // One byte at a time: every frame is reassembled.
    std::vector<std::string> frames;
    for (char c : stream) {
      d.feed(std::string_view{&c, 1});
      while (auto frame = next(d))
        frames.push_back(*frame);
    }
    CHECK(frames == std::vector<std::string>{"abc", "", "xyz"});
    CHECK(d.buffered() == 0);
  }
}

TEST_CASE("framing: a 2-byte length is big-endian") {
  frame_decoder d{framing{packet::u16, 0}};
  std::string payload(258, 'x');
  d.feed(std::string_view{"\x01\x02", 2});
  d.feed(payload);
  auto frame = next(d);
  REQUIRE(frame);
  CHECK(frame->size() == 258);
}

TEST_CASE("framing: lines keep their newline, a partial line waits") {
  frame_decoder d{framing{packet::line, 100}};
  d.feed("one\ntw");
  CHECK(next(d) == std::optional<std::string>{"one\n"});
  CHECK_FALSE(next(d));
  d.feed("o\n");
  CHECK(next(d) == std::optional<std::string>{"two\n"});
}

TEST_CASE("framing: raw returns what is there, capped at max_size, take_exact waits") {
  frame_decoder d{framing{packet::raw, 4}};
  d.feed("abcdef");
  CHECK(next(d) == std::optional<std::string>{"abcd"});
  CHECK(next(d) == std::optional<std::string>{"ef"});
  d.feed("123");
  CHECK_FALSE(d.take_exact(4));
  d.feed("4");
  CHECK(d.take_exact(4) == std::optional<std::string>{"1234"});
}

TEST_CASE("framing: frames over max_size are refused, and the decoder stays failed") {
  frame_decoder d{framing{packet::u32, 10}};
  d.feed(std::string_view{"\x00\x00\x00\x0b", 4});
  auto r = d.next();
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().what == net_error::kind::frame_too_large);
  CHECK(r.error().detail == "11 bytes, the limit is 10");
  CHECK_FALSE(d.next().has_value());

  frame_decoder lines{framing{packet::line, 5}};
  lines.feed("123456");  // no newline within the limit
  CHECK_FALSE(lines.next().has_value());

  CHECK_FALSE(otp::net::encode_header(framing{packet::u8, 0}, 256).has_value());
  CHECK(otp::net::encode_header(framing{packet::u8, 0}, 255).has_value());
  CHECK_FALSE(otp::net::encode_header(framing{packet::u16, 100}, 101).has_value());
}

TEST_CASE("framing: a max_size the length header cannot carry is refused with bad_option") {
  auto refused = otp::net::validate(framing{packet::u8, 100000});
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().what == net_error::kind::bad_option);
  CHECK(refused.error().detail
        == "framing max_size 100000 exceeds what a u8 length header can carry (255)");
  CHECK_FALSE(otp::net::validate(framing{packet::u8, 256}).has_value());
  CHECK_FALSE(otp::net::validate(framing{packet::u16, 65536}).has_value());
  for (auto ok : {framing{packet::u8, 255}, framing{packet::u8, 0}, framing{packet::u8},
                  framing{packet::u16}, framing{packet::u16, 65535}, framing{packet::u32, 1 << 30},
                  framing{packet::line, 1 << 30}, framing{packet::raw}})
    CHECK(otp::net::validate(ok).has_value());
}

TEST_CASE("framing: the default limit is 64 KiB, within what the header carries") {
  CHECK_FALSE(otp::net::encode_header(framing{packet::u32}, 64 * 1024 + 1).has_value());
  CHECK(otp::net::encode_header(framing{packet::u32}, 64 * 1024).has_value());
  CHECK(otp::net::encode_header(framing{packet::u8}, 255).has_value());
  CHECK(otp::net::encode_header(framing{packet::u16}, 65535).has_value());
  frame_decoder d{framing{packet::u8}};
  d.feed(std::string(1, '\xff') + std::string(255, 'x'));
  CHECK(next(d) == std::optional<std::string>{std::string(255, 'x')});
}

TEST_CASE("framing: start_listener and listen refuse a framing the header cannot carry") {
  otp::node node{{.threads = 1, .log = otp::log_level::none}};
  otp::net::listener_options opts{.address = otp::net::endpoint::tcp("127.0.0.1", 0),
                                  .framing = framing{packet::u8, 100000}};
  auto l = otp::net::start_listener<idle_handler>(node, opts);
  REQUIRE_FALSE(l.has_value());
  CHECK(l.error().what == net_error::kind::bad_option);
  CHECK(l.error().detail.find("u8 length header") != std::string::npos);
  auto ls = otp::net::listen(node, {.address = otp::net::endpoint::tcp("127.0.0.1", 0),
                                    .framing = framing{packet::u16, 70000}});
  REQUIRE_FALSE(ls.has_value());
  CHECK(ls.error().what == net_error::kind::bad_option);
}

TEST_CASE("framing: a line without a limit is still bounded (1 MiB), not buffered for ever") {
  frame_decoder d{framing{packet::line, 0}};
  d.feed(std::string(otp::net::unbounded_line_limit - 1, 'x') + "\n");
  auto longest = d.next();
  REQUIRE(longest.has_value());
  CHECK(longest->value().size() == otp::net::unbounded_line_limit);
  // A peer that never sends a newline: refused once the buffer passes the limit.
  for (int i = 0; i < 16; ++i)
    d.feed(std::string(64 * 1024, 'y'));
  d.feed("y");
  auto endless = d.next();
  REQUIRE_FALSE(endless.has_value());
  CHECK(endless.error().what == otp::net::net_error::kind::frame_too_large);
  CHECK(d.buffered() <= otp::net::unbounded_line_limit + 1);
}

TEST_CASE("endpoint: parse and print") {
  using otp::net::endpoint;
  CHECK(endpoint::parse("127.0.0.1:7000").value() == endpoint::tcp("127.0.0.1", 7000));
  CHECK(endpoint::parse("[::1]:80").value() == endpoint::tcp("::1", 80));
  CHECK(endpoint::parse("unix:/tmp/x.sock").value() == endpoint::local("/tmp/x.sock"));
  CHECK_FALSE(endpoint::parse("localhost").has_value());
  CHECK_FALSE(endpoint::parse("host:99999").has_value());
  CHECK(to_string(endpoint::tcp("::1", 80)) == "[::1]:80");
  CHECK(to_string(endpoint::local("/a")) == "unix:/a");
}
