// Ensure that a C++ type with CAF's inspect crosses to Erlang as the record Erlang would write:
// bump{by = 10} is {bump,10}, byte for byte what Erlang's #bump{by = 10} encodes to.

#include <otp/term.hpp>
#include <otp/term/inspect.hpp>

#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <string>
#include <tuple>
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

struct order {  // every kind of field the mapping knows
  std::string item;
  double price = 0;
  std::map<std::string, int> tags;
  std::tuple<int, otp::atom> slot;
  std::optional<bump> extra;
  std::vector<bump> steps;
  std::uint8_t qty = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, order& x) {
  return f(caf::meta::type_name("order"), x.item, x.price, x.tags, x.slot, x.extra, x.steps, x.qty);
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

namespace {

std::string why_not(const otp::expected<records::order, otp::convert_error>& r) {
  return r ? std::string{"fits"} : otp::to_string(r.error());
}

}  // namespace

TEST_CASE("inspect: what Erlang's term_to_binary writes decodes into the C++ record") {
  // erl: binary_to_list(term_to_binary({order, <<"tea">>, 2.5, #{<<"hot">> => 1,
  //   <<"iced">> => 0}, {3, shelf}, undefined, [{bump,1},{bump,-2}], 7})): OTP 25's
  // default encoding, Latin-1 atoms (ATOM_EXT) and all.
  std::vector<std::uint8_t> bytes{
    131, 104, 8,   100, 0,   5,   111, 114, 100, 101, 114, 109, 0,   0,   0,   3,   116, 101, 97,
    70,  64,  4,   0,   0,   0,   0,   0,   0,   116, 0,   0,   0,   2,   109, 0,   0,   0,   3,
    104, 111, 116, 97,  1,   109, 0,   0,   0,   4,   105, 99,  101, 100, 97,  0,   104, 2,   97,
    3,   100, 0,   5,   115, 104, 101, 108, 102, 100, 0,   9,   117, 110, 100, 101, 102, 105, 110,
    101, 100, 108, 0,   0,   0,   2,   104, 2,   100, 0,   4,   98,  117, 109, 112, 97,  1,   104,
    2,   100, 0,   4,   98,  117, 109, 112, 98,  255, 255, 255, 254, 106, 97,  7};
  auto decoded = otp::etf::decode(bytes);
  REQUIRE(decoded);
  auto o = otp::try_from_term<records::order>(*decoded);
  REQUIRE_MESSAGE(o, why_not(o));
  CHECK(o->item == "tea");
  CHECK(o->price == 2.5);
  CHECK(o->tags == std::map<std::string, int>{{"hot", 1}, {"iced", 0}});
  CHECK(o->slot == std::tuple{3, "shelf"_atom});
  CHECK_FALSE(o->extra);
  REQUIRE(o->steps.size() == 2);
  CHECK(o->steps[1].by == -2);
  CHECK(o->qty == 7);
  // And back: the same term; the encoder's UTF-8 atoms are what Erlang writes with
  // [{minor_version, 2}], so the bytes differ only there.
  CHECK(otp::to_term(*o) == *decoded);
}

TEST_CASE("inspect: a record round-trips through the encoder, every field kind") {
  records::order o{"tea", 2.5, {{"hot", 1}}, {3, "shelf"_atom}, records::bump{300}, {}, 255};
  auto bytes = otp::etf::encode(otp::to_term(o));
  auto back = otp::try_from_term<records::order>(otp::etf::decode(bytes).value());
  REQUIRE_MESSAGE(back, why_not(back));
  CHECK(back->item == o.item);
  CHECK(back->tags == o.tags);
  CHECK(back->slot == o.slot);
  REQUIRE(back->extra);
  CHECK(back->extra->by == 300);
  CHECK(back->steps.empty());
  CHECK(back->qty == 255);
  CHECK(fmt::format("{}", otp::to_term(o))
        == R"({order,<<"tea">>,2.5,#{<<"hot">> => 1},{3,shelf},{bump,300},[],255})");
}

TEST_CASE("inspect: a term that does not fit says which element and why") {
  using kind = otp::convert_error::kind;
  auto good = otp::to_term(
    records::order{"tea", 2.5, {{"hot", 1}}, {3, "shelf"_atom}, std::nullopt, {{1}, {2}}, 7});
  auto with = [&](std::size_t i, term v) {
    auto e = good.tuple_elements();
    std::vector<term> elements(e.begin(), e.end());
    elements[i] = std::move(v);
    return otp::try_from_term<records::order>(term::tuple(std::move(elements)));
  };
  auto r = with(7, 256);  // qty is a uint8_t
  REQUIRE_FALSE(r);
  CHECK(r.error().what == kind::out_of_range);
  CHECK(r.error().path == "{8}");
  CHECK(why_not(r) == "out_of_range at {8}: expected an integer in [0, 255], got 256");
  r = with(6, term::list({otp::to_term(records::bump{1}), term::tuple({"bump"_atom, 1.5})}));
  REQUIRE_FALSE(r);
  CHECK(why_not(r)
        == "wrong_type at {7}[2]{2}: expected an integer in [-2147483648, 2147483647], got 1.5");
  r = with(6, term::list({term::tuple({"bunp"_atom, 1})}));
  REQUIRE_FALSE(r);
  CHECK(r.error().what == kind::wrong_tag);
  CHECK(why_not(r) == "wrong_tag at {7}[1]: expected a {bump,_} record, got {bunp,1}");
  r = with(3, term::map({{term::binary("hot"), "yes"_atom}}));
  REQUIRE_FALSE(r);
  CHECK(why_not(r)
        == R"(wrong_type at {4}#{<<"hot">>}: expected an integer in )"
           R"([-2147483648, 2147483647], got yes)");
  r = with(4, term::tuple({3}));
  REQUIRE_FALSE(r);
  CHECK(r.error().what == kind::wrong_arity);
  CHECK(r.error().path == "{5}");
  r = with(1, "tea"_atom);
  REQUIRE_FALSE(r);
  CHECK(why_not(r) == "wrong_type at {2}: expected a binary or a string (a list of code points), "
                      "got tea");
  auto whole = otp::try_from_term<records::order>(term::tuple({"order"_atom, 1}));
  REQUIRE_FALSE(whole);
  CHECK(whole.error().what == kind::wrong_arity);
  CHECK(whole.error().path.empty());
  CHECK(otp::to_string(whole.error())
        == "wrong_arity: expected a {order,_,_,_,_,_,_,_} record, got {order,1}");
  CHECK(fmt::format("{}", whole.error()) == otp::to_string(whole.error()));
  auto list = otp::try_from_term<records::bump>(term::list({"bump"_atom, 7}));
  REQUIRE_FALSE(list);
  CHECK(list.error().what == kind::wrong_type);
  // A huge term is cut in the text, not copied whole into the message.
  auto big = otp::try_from_term<records::bump>(term::list(std::vector<term>(1000, term{12345})));
  REQUIRE_FALSE(big);
  CHECK(otp::to_string(big.error()).size() < 300);
}
