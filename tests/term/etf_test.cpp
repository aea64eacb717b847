// Ensure that every kind of term survives encode and decode, and that the encoder picks the forms
// Erlang picks.

#include <otp/term.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using namespace otp::literals;
using otp::term;
using bytes = std::vector<std::uint8_t>;

namespace {

term round_trip(const term& t) {
  auto encoded = otp::etf::encode(t);
  auto decoded = otp::etf::decode(encoded);
  if (!decoded)
    FAIL(fmt::format("{} -> {}", t, decoded.error().what()));
  return *decoded;
}

}  // namespace

TEST_CASE("etf: every kind round-trips") {
  std::vector<term> terms = {
    0,
    255,
    256,
    -1,
    INT32_MIN,
    INT64_MAX,
    INT64_MIN,
    term{otp::big_integer::from_string("123456789012345678901234567890").value()},
    term{otp::big_integer::from_string("-" + std::string(700, '9')).value()},  // LARGE_BIG
    0.0,
    -2.5,
    1.0e300,
    "ok"_atom,
    otp::atom{"\xce\xb1" + std::string(254, 'b')},  // 255 characters, 256 bytes: ATOM_UTF8
    term{},
    term::string("hello"),
    term::list({1, "two"_atom, term::binary("3")}),
    term::list({1, 2}, 3),
    term::list(std::vector<term>(70000, term{1})),  // too long for STRING_EXT
    term::tuple({}),
    term::tuple(std::vector<term>(300, term{"x"_atom})),
    term::map({}),
    term::map({{"a"_atom, 1}, {term::binary("k"), term::map({{1, 2}})}}),
    term::binary(""),
    term::binary(std::string(100000, '\xab')),
    otp::erlang_pid{.node = "a@host"_atom, .id = 45, .serial = 2, .creation = 1701},
    otp::erlang_port{.node = "a@host"_atom, .id = 7, .creation = 3},
    otp::erlang_port{.node = "a@host"_atom, .id = std::uint64_t{1} << 40, .creation = 3},
    otp::erlang_ref{.node = "a@host"_atom, .creation = 9, .words = {1, 2, 3}, .length = 3},
    otp::erlang_ref{.node = "a@host"_atom, .words = {1, 2, 3, 4, 5}, .length = 5},
  };
  for (const auto& t : terms) {
    INFO(fmt::format("{:w}", t).substr(0, 200));
    CHECK(round_trip(t) == t);
  }
}

TEST_CASE("etf: the encoder writes Erlang's forms") {
  CHECK(otp::etf::encode(term{1}) == bytes{131, 97, 1});
  CHECK(otp::etf::encode(term{-1}) == bytes{131, 98, 255, 255, 255, 255});
  CHECK(otp::etf::encode(term{INT64_MIN}) == bytes{131, 110, 8, 1, 0, 0, 0, 0, 0, 0, 0, 128});
  CHECK(otp::etf::encode(term::string("ab")) == bytes{131, 107, 0, 2, 97, 98});
  CHECK(otp::etf::encode(term::list({256})) == bytes{131, 108, 0, 0, 0, 1, 98, 0, 0, 1, 0, 106});
  CHECK(otp::etf::encode("a"_atom) == bytes{131, 119, 1, 97});
  CHECK(otp::etf::encode("a"_atom, {.utf8_atoms = false}) == bytes{131, 100, 0, 1, 97});
  otp::erlang_port wide{.node = "n"_atom, .id = std::uint64_t{1} << 32};
  CHECK(otp::etf::encode(wide)[1] == 120);  // V4_PORT_EXT
  otp::erlang_port narrow{.node = "n"_atom, .id = 1};
  CHECK(otp::etf::encode(narrow)[1] == 89);  // NEW_PORT_EXT
}

TEST_CASE("etf: decode_prefix reads one term of several") {
  bytes two = otp::etf::encode(term{1});
  auto second = otp::etf::encode("x"_atom);
  two.insert(two.end(), second.begin(), second.end());
  auto first = otp::etf::decode_prefix(two);
  REQUIRE(first);
  CHECK(first->value == term{1});
  CHECK(first->size == 3);
  auto rest = otp::etf::decode(std::span{two}.subspan(first->size));
  REQUIRE(rest);
  CHECK(*rest == term{"x"_atom});
  CHECK(otp::etf::decode(two).error().what_kind() == otp::etf::decode_error::kind::trailing_bytes);
}

TEST_CASE("etf: older forms decode (ATOM_EXT, FLOAT_EXT, PID_EXT, NEW_REFERENCE_EXT, ...)") {
  auto d = [](bytes b) { return otp::etf::decode(b).value(); };
  CHECK(d({131, 115, 1, 0xe9}) == term{otp::atom{"é"}});  // SMALL_ATOM_EXT, Latin-1
  std::string text = "1.50000000000000000000e+00";        // FLOAT_EXT: 31 bytes, NUL-padded
  text.resize(31, '\0');
  bytes float_ext{131, 99};
  float_ext.insert(float_ext.end(), text.begin(), text.end());
  CHECK(d(float_ext) == term{1.5});
  CHECK(d({131, 103, 119, 1, 'n', 0, 0, 0, 5, 0, 0, 0, 0, 2})
        == term{otp::erlang_pid{.node = "n"_atom, .id = 5, .creation = 2}});
  CHECK(d({131, 114, 0, 1, 119, 1, 'n', 2, 0, 0, 0, 7})
        == term{otp::erlang_ref{.node = "n"_atom, .creation = 2, .words = {7}, .length = 1}});
  CHECK(d({131, 102, 119, 1, 'n', 0, 0, 0, 7, 2})
        == term{otp::erlang_port{.node = "n"_atom, .id = 7, .creation = 2}});
  // A LIST_EXT whose tail is another LIST_EXT or a STRING_EXT is one list.
  CHECK(d({131, 108, 0, 0, 0, 1, 97, 1, 108, 0, 0, 0, 1, 97, 2, 107, 0, 1, 3})
        == term::list({1, 2, 3}));
  // A map out of key order, as Erlang writes maps of more than 32 keys.
  CHECK(d({131, 116, 0, 0, 0, 2, 97, 2, 97, 0, 97, 1, 97, 0}) == term::map({{1, 0}, {2, 0}}));
}
