#include <otp/net/endpoint.hpp>
#include <otp/net/framing.hpp>

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

}  // namespace

TEST_CASE("framing: length prefixes of 1, 2 and 4 bytes, big-endian, across partial reads") {
  for (auto p : {packet::u8, packet::u16, packet::u32}) {
    framing f{p, 1000};
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
