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

namespace {

struct celsius {
  double degrees = 0;
};

}  // namespace

template <>
struct otp::term_traits<celsius> {  // a user's traits without an explanation of its own
  static term to_term(celsius c) { return term::tuple({"celsius"_atom, c.degrees}); }
  static std::optional<celsius> from_term(const term& t) {
    if (t.is_tuple() && t.size() == 2 && t[0].is_atom("celsius"))
      if (auto* d = t[1].get_if<double>())
        return celsius{*d};
    return std::nullopt;
  }
};

TEST_CASE("convert: try_from_term says why, for traits of the user's too") {
  auto n = otp::try_from_term<std::vector<std::int16_t>>(term::list({1, 2, 1 << 20}));
  REQUIRE_FALSE(n);
  CHECK(n.error().what == otp::convert_error::kind::out_of_range);
  CHECK(otp::to_string(n.error())
        == "out_of_range at [3]: expected an integer in [-32768, 32767], got 1048576");
  auto p = otp::try_from_term<std::pair<int, celsius>>(term::tuple({1, 2}));
  REQUIRE_FALSE(p);
  CHECK(otp::to_string(p.error())
        == "wrong_type at {2}: expected what its term_traits take, got 2");
  auto ok =
    otp::try_from_term<std::pair<int, celsius>>(term::tuple({1, otp::to_term(celsius{21.5})}));
  REQUIRE(ok);
  CHECK(ok->second.degrees == 21.5);
  auto key = otp::try_from_term<std::map<otp::atom, int>>(term::map({{term{1}, 2}}));
  REQUIRE_FALSE(key);
  CHECK(otp::to_string(key.error()) == "wrong_type at #{1}=>: expected an atom, got 1");
  auto tuple = otp::try_from_term<std::tuple<int, int>>(term::tuple({1}));
  REQUIRE_FALSE(tuple);
  CHECK(tuple.error().what == otp::convert_error::kind::wrong_arity);
}
