// The example docs/terms.md quotes: it compiles, and what its comments claim holds.

#include <otp/term.hpp>

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <tuple>

TEST_CASE("docs: terms.md's example") {
  using namespace otp::literals;
  using otp::term;

  // Build: {bump,10}, [1,2|3], #{name => <<"counter">>}, "abc" (a list of code points)
  term request = term::tuple({"bump"_atom, 10});
  term improper = term::list({1, 2}, 3);
  term config = term::map({{"name"_atom, term::binary("counter")}});
  term text = term::string("abc");
  auto printed = fmt::format("{} {} {} {} {:w}", request, improper, config, text, text);
  // {bump,10} [1,2|3] #{name => <<"counter">>} "abc" [97,98,99]

  // Convert: C++ values to terms and back; nullopt when the term has another shape.
  term t = otp::to_term(std::tuple{"bump"_atom, 10});
  auto [tag, by] = otp::from_term<std::tuple<otp::atom, int>>(t).value();
  auto names = otp::from_term<std::map<otp::atom, std::string>>(config);  // {name: "counter"}
  auto counts = otp::from_term<std::map<otp::atom, int>>(config);         // nullopt

  // Encode and decode: term_to_binary / binary_to_term.
  std::vector<std::uint8_t> bytes = otp::etf::encode(request);  // 131,104,2,119,4,"bump",97,10
  auto back = otp::etf::decode(bytes);                          // expected<term, decode_error>
  if (!back)
    fmt::print("refused: {}\n", back.error());  // e.g. "truncated at byte 7"

  CHECK(printed == R"({bump,10} [1,2|3] #{name => <<"counter">>} "abc" [97,98,99])");
  CHECK(tag == "bump"_atom);
  CHECK(by == 10);
  CHECK(names->at("name"_atom) == "counter");
  CHECK(!counts);
  CHECK(bytes == std::vector<std::uint8_t>{131, 104, 2, 119, 4, 'b', 'u', 'm', 'p', 97, 10});
  CHECK(*back == request);
  bytes.pop_back();
  CHECK(fmt::format("{}", otp::etf::decode(bytes).error())
        == "external term format: truncated at byte 10");
}
