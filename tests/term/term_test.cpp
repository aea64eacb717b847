// Ensure that otp::term behaves as an Erlang term: kinds, construction, sharing, and Erlang's
// term order.

#include <otp/term.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

using namespace otp::literals;
using otp::term;
using otp::term_kind;

namespace {

otp::erlang_pid pid_of(std::string_view node, std::uint32_t id) {
  return {.node = otp::atom{node}, .id = id, .serial = 0, .creation = 1};
}

}  // namespace

TEST_CASE("term: each kind from its C++ value") {
  CHECK(term{}.kind() == term_kind::nil);
  CHECK(term{42}.kind() == term_kind::integer);
  CHECK(term{1.5}.kind() == term_kind::floating);
  CHECK(term{true}.is_atom("true"));
  CHECK(term{"ok"_atom}.is_atom("ok"));
  CHECK(term::tuple({"bump"_atom, 10}).kind() == term_kind::tuple);
  CHECK(term::list({1, 2}).kind() == term_kind::list);
  CHECK(term::map({{"a"_atom, 1}}).kind() == term_kind::map);
  CHECK(term::binary("abc").kind() == term_kind::binary);
  CHECK(term{pid_of("a@h", 1)}.kind() == term_kind::pid);
  CHECK(term{otp::erlang_port{.node = "a@h"_atom, .id = 3}}.kind() == term_kind::port);
  CHECK(term{otp::erlang_ref{.node = "a@h"_atom}}.kind() == term_kind::reference);
}

TEST_CASE("term: integers beyond 64 bits are bignums, those within never") {
  term max_u64{std::uint64_t{18446744073709551615u}};
  REQUIRE(max_u64.get_if<otp::big_integer>() != nullptr);
  CHECK(max_u64.get_if<otp::big_integer>()->to_string() == "18446744073709551615");
  term small{otp::big_integer::from_int64(-5)};
  REQUIRE(small.get_if<std::int64_t>() != nullptr);
  CHECK(*small.get_if<std::int64_t>() == -5);
  auto big = otp::big_integer::from_string("-1180591620717411303424").value();
  CHECK(big.to_string() == "-1180591620717411303424");
  CHECK(term{big} < term{INT64_MIN});
}

TEST_CASE("term: strings are lists of code points") {
  auto s = term::string("aé");
  CHECK(s == term::list({97, 233}));
  CHECK(term::string("") == term{});
  CHECK_THROWS_AS(term::string("\xff"), std::invalid_argument);
}

TEST_CASE("term: a list as tail continues the list, other tails make it improper") {
  CHECK(term::list({1}, term::list({2, 3})) == term::list({1, 2, 3}));
  auto improper = term::list({1, 2}, 3);
  CHECK(improper.list_tail() == term{3});
  CHECK(improper.size() == 2);
  CHECK(term::list({}, 3) == term{3});
}

TEST_CASE("term: maps keep one value per key, in key order, the last given") {
  auto m = term::map({{"b"_atom, 1}, {"a"_atom, 2}, {"b"_atom, 3}});
  REQUIRE(m.map_entries().size() == 2);
  CHECK(m.map_entries()[0].first.is_atom("a"));
  REQUIRE(m.find("b"_atom) != nullptr);
  CHECK(*m.find("b"_atom) == term{3});
  CHECK(m.find("c"_atom) == nullptr);
}

TEST_CASE("term: copies share their data") {
  auto t = term::tuple({term::binary("payload"), 1});
  auto copy = t;
  CHECK(copy.tuple_elements().data() == t.tuple_elements().data());
}

TEST_CASE("term: no NaN, no infinity, no C strings") {
  CHECK_THROWS_AS(term{std::nan("")}, std::invalid_argument);
  CHECK_THROWS_AS(term{HUGE_VAL}, std::invalid_argument);
  CHECK_THROWS_AS(otp::atom{std::string(256, 'a')}, std::invalid_argument);
  CHECK_NOTHROW(otp::atom{std::string(255, 'a')});
  static_assert(!std::is_constructible_v<term, const char*>);
}

TEST_CASE("term: Erlang's term order across kinds") {
  // number < atom < reference < port < pid < tuple < map < nil < list < binary
  std::vector<term> ordered = {
    -1,
    0.5,
    1,
    "a"_atom,
    otp::erlang_ref{.node = "a@h"_atom},
    otp::erlang_port{.node = "a@h"_atom},
    pid_of("a@h", 1),
    term::tuple({}),
    term::map({}),
    term{},
    term::list({1}),
    term::binary(""),
  };
  CHECK(std::is_sorted(ordered.begin(), ordered.end()));
  auto shuffled = ordered;
  std::reverse(shuffled.begin(), shuffled.end());
  std::sort(shuffled.begin(), shuffled.end());
  CHECK(shuffled == ordered);
}

TEST_CASE("term: numbers compare by value, an integer precedes the equal float") {
  CHECK(term{1} < term{1.5});
  CHECK(term{2} > term{1.5});
  CHECK(term{1} != term{1.0});
  CHECK(term{1} < term{1.0});
  CHECK(term{-0.0} == term{0.0});  // OTP 25: 0.0 =:= -0.0
  CHECK(term{9007199254740993} > term{9007199254740992.0});
  auto two64 = term{otp::big_integer::from_string("18446744073709551616").value()};
  CHECK(two64 == term{otp::big_integer::from_string("18446744073709551616").value()});
  CHECK(two64 > term{1.8446744073709550e19});
  CHECK(two64 < term{1.8446744073709555e19});
  CHECK(term{1.8446744073709551616e19} > two64);  // the same value: the integer first
  CHECK(term{-1.0e300} < term{otp::big_integer::from_string("-99999999999999999999").value()});
}

TEST_CASE("term: tuples by size first, lists element by element, maps by size then keys") {
  CHECK(term::tuple({9}) < term::tuple({1, 1}));
  CHECK(term::list({1, 2}) < term::list({1, 3}));
  CHECK(term::list({1}) < term::list({1, 2}));
  CHECK(term::list({1}, 2) < term::list({1, 2}));  // [1|2] < [1,2]: 2 < [2]
  CHECK(term::list({1}, term::binary("")) > term::list({1, 2}));
  CHECK(term::map({{1, 9}}) < term::map({{1, 1}, {2, 2}}));
  CHECK(term::map({{1, 9}}) < term::map({{2, 1}}));
  CHECK(term::map({{1, 1}}) < term::map({{1, 2}}));
  CHECK(term::binary("ab") < term::binary("b"));
}

TEST_CASE("term: identifiers order by node, creation, then number") {
  CHECK(term{pid_of("a@h", 9)} < term{pid_of("b@h", 1)});
  CHECK(term{pid_of("a@h", 1)} < term{pid_of("a@h", 2)});
  otp::erlang_ref r1{.node = "a@h"_atom, .words = {5, 1}, .length = 2};
  otp::erlang_ref r2{.node = "a@h"_atom, .words = {1, 2}, .length = 2};
  CHECK(term{r1} < term{r2});  // the last word is the most significant
}
