// Ensure that C++ values map onto terms and back as docs/terms.md's table says, and that a term of
// another shape gives nullopt rather than a wrong value.

#include <otp/term.hpp>

#include <doctest/doctest.h>

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

using namespace otp::literals;
using otp::from_term;
using otp::term;
using otp::to_term;

TEST_CASE("convert: integers, range-checked on the way back") {
  CHECK(to_term(42) == term{42});
  CHECK(from_term<int>(term{42}) == 42);
  CHECK(from_term<std::uint8_t>(term{256}) == std::nullopt);
  CHECK(from_term<std::uint8_t>(term{255}) == 255);
  CHECK(from_term<unsigned>(term{-1}) == std::nullopt);
  CHECK(from_term<std::uint64_t>(term{std::uint64_t{1} << 63}) == std::uint64_t{1} << 63);
  CHECK(from_term<std::int64_t>(term{std::uint64_t{1} << 63}) == std::nullopt);
  CHECK(from_term<int>(term{1.0}) == std::nullopt);
}

TEST_CASE("convert: double, bool, atom") {
  CHECK(from_term<double>(to_term(2.5)) == 2.5);
  CHECK(from_term<double>(term{2}) == std::nullopt);
  CHECK(to_term(true).is_atom("true"));
  CHECK(from_term<bool>("false"_atom) == false);
  CHECK(from_term<bool>("yes"_atom) == std::nullopt);
  CHECK(from_term<otp::atom>(term{"ok"_atom}) == "ok"_atom);
}

TEST_CASE("convert: std::string is a binary, and an Erlang string reads back too") {
  CHECK(to_term(std::string{"héllo"}) == term::binary("héllo"));
  CHECK(to_term("abc") == term::binary("abc"));
  CHECK(from_term<std::string>(term::binary("abc")) == "abc");
  CHECK(from_term<std::string>(term::string("héllo")) == "héllo");
  CHECK(from_term<std::string>(term{}) == "");
  CHECK(from_term<std::string>(term::list({1, -1})) == std::nullopt);
  CHECK(from_term<std::string>(term::list({1}, 2)) == std::nullopt);
  std::vector<std::byte> bytes{std::byte{1}, std::byte{2}};
  CHECK(to_term(bytes) == term::binary(std::string_view{"\x01\x02", 2}));
  CHECK(from_term<std::vector<std::byte>>(to_term(bytes)) == bytes);
}

TEST_CASE("convert: containers") {
  std::vector<int> v{1, 2, 3};
  CHECK(to_term(v) == term::list({1, 2, 3}));
  CHECK(from_term<std::vector<int>>(to_term(v)) == v);
  CHECK(from_term<std::vector<int>>(term{}) == std::vector<int>{});
  CHECK(from_term<std::vector<int>>(term::list({1}, 2)) == std::nullopt);
  CHECK(from_term<std::vector<int>>(term::list({1, "x"_atom})) == std::nullopt);

  std::map<std::string, int> m{{"a", 1}, {"b", 2}};
  auto mt = to_term(m);
  CHECK(mt == term::map({{term::binary("a"), 1}, {term::binary("b"), 2}}));
  CHECK(from_term<std::map<std::string, int>>(mt) == m);

  auto t = to_term(std::tuple{"bump"_atom, 10});
  CHECK(t == term::tuple({"bump"_atom, 10}));
  auto back = from_term<std::tuple<otp::atom, int>>(t);
  REQUIRE(back);
  CHECK(std::get<1>(*back) == 10);
  CHECK(from_term<std::tuple<otp::atom, int>>(term::tuple({"bump"_atom})) == std::nullopt);
  CHECK(from_term<std::pair<int, int>>(term::tuple({1, 2})) == std::pair{1, 2});
}

TEST_CASE("convert: std::optional is undefined or the value") {
  CHECK(to_term(std::optional<int>{}).is_atom("undefined"));
  CHECK(to_term(std::optional<int>{3}) == term{3});
  auto undefined = from_term<std::optional<int>>("undefined"_atom);
  REQUIRE(undefined.has_value());
  CHECK_FALSE(undefined->has_value());
  auto three = from_term<std::optional<int>>(term{3});
  REQUIRE(three.has_value());
  CHECK(three->value() == 3);
  CHECK(from_term<std::optional<int>>(term{1.5}) == std::nullopt);
}
