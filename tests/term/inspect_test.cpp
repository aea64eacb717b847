// Ensure that a C++ type with CAF's inspect crosses to Erlang as the record Erlang would write:
// bump{by = 10} is {bump,10}, byte for byte what Erlang's #bump{by = 10} encodes to.

#include <otp/term.hpp>
#include <otp/term/inspect.hpp>

#include <doctest/doctest.h>

#include <optional>
#include <string>
#include <vector>

using namespace otp::literals;
using otp::term;

namespace records {

struct bump {
  std::int32_t by = 1;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bump& x) {
  return f(caf::meta::type_name("bump"), x.by);
}

struct route {
  std::string name;
  std::vector<int> hops;
  bump step;
  std::optional<otp::atom> mode;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, route& x) {
  return f(caf::meta::type_name("route"), x.name, x.hops, x.step, x.mode);
}

struct point {  // no type name: a bare tuple
  int x = 0;
  int y = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, point& p) {
  return f(p.x, p.y);
}

}  // namespace records

TEST_CASE("inspect: a type name and fields make an Erlang record") {
  auto t = otp::to_term(records::bump{10});
  CHECK(t == term::tuple({"bump"_atom, 10}));
  CHECK(fmt::format("{}", t) == "{bump,10}");
  // erl: term_to_binary(#bump{by = 10}, [{minor_version, 2}])
  CHECK(otp::etf::encode(t)
        == std::vector<std::uint8_t>{131, 104, 2, 119, 4, 'b', 'u', 'm', 'p', 97, 10});
  CHECK(otp::to_term(records::point{1, 2}) == term::tuple({1, 2}));
}

TEST_CASE("inspect: records read back, nested ones too") {
  CHECK(otp::from_term<records::bump>(term::tuple({"bump"_atom, 7}))->by == 7);
  records::route r{"north", {1, 2}, {3}, "fast"_atom};
  auto t = otp::to_term(r);
  CHECK(fmt::format("{}", t) == R"({route,<<"north">>,[1,2],{bump,3},fast})");
  auto bytes = otp::etf::encode(t);
  auto back = otp::from_term<records::route>(otp::etf::decode(bytes).value());
  REQUIRE(back);
  CHECK(back->name == "north");
  CHECK(back->hops == std::vector<int>{1, 2});
  CHECK(back->step.by == 3);
  CHECK(back->mode == "fast"_atom);
  auto p = otp::from_term<records::point>(term::tuple({5, 6}));
  REQUIRE(p);
  CHECK(p->y == 6);
}

TEST_CASE("inspect: a term of another shape is no record") {
  using records::bump;
  CHECK_FALSE(otp::from_term<bump>(term::tuple({"other"_atom, 7})));
  CHECK_FALSE(otp::from_term<bump>(term::tuple({"bump"_atom})));
  CHECK_FALSE(otp::from_term<bump>(term::tuple({"bump"_atom, 7, 8})));
  CHECK_FALSE(otp::from_term<bump>(term::tuple({"bump"_atom, 1.5})));
  CHECK_FALSE(otp::from_term<bump>(term::tuple({"bump"_atom, std::int64_t{1} << 40})));
  CHECK_FALSE(otp::from_term<bump>(term::list({"bump"_atom, 7})));
  CHECK_FALSE(otp::from_term<bump>(term::tuple({})));
}
