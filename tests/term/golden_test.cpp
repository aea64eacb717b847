// Ensure that caf-otp reads what Erlang writes and writes what Erlang writes, byte for byte, and
// prints terms as Erlang's io_lib does. The rows come from Erlang itself
// (make_golden.escript -> golden_terms.inc).

#include <otp/term.hpp>

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "golden_terms.inc"

namespace {

struct golden {
  std::string_view expression;
  std::string_view minor1;  // term_to_binary(T): OTP 25's Latin-1 atoms
  std::string_view minor2;  // term_to_binary(T, [{minor_version, 2}]): UTF-8 atoms
  std::string_view w;       // io_lib:format("~w", [T])
  std::string_view p;       // io_lib:print(T, 1, 1000000, -1): ~p on one line
  int printings;            // 2: ~w and ~p must match, 1: ~w only, 0: neither
};

constexpr golden rows[] = {OTP_GOLDEN_TERMS};

struct compressed {
  std::string_view expression;
  std::string_view packed;
  std::string_view plain;
};

constexpr compressed compressed_rows[] = {OTP_GOLDEN_COMPRESSED};

std::vector<std::uint8_t> unhex(std::string_view hex) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2)
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string{hex.substr(i, 2)}, nullptr, 16)));
  return out;
}

}  // namespace

TEST_CASE("golden: Erlang's bytes decode and re-encode byte for byte") {
  for (const auto& row : rows) {
    INFO(row.expression);
    auto v1 = unhex(row.minor1);
    auto v2 = unhex(row.minor2);
    auto t1 = otp::etf::decode(v1);
    auto t2 = otp::etf::decode(v2);
    REQUIRE(t1.has_value());
    REQUIRE(t2.has_value());
    CHECK(*t1 == *t2);
    CHECK(otp::etf::encode(*t2) == v2);
    CHECK(otp::etf::encode(*t1, {.utf8_atoms = false}) == v1);
  }
}

TEST_CASE("golden: terms print as io_lib's ~w and ~p") {
  for (const auto& row : rows) {
    if (row.printings == 0)
      continue;
    INFO(row.expression);
    auto t = otp::etf::decode(unhex(row.minor2)).value();
    CHECK(fmt::format("{:w}", t) == row.w);
    if (row.printings == 2)
      CHECK(fmt::format("{}", t) == row.p);
  }
}

TEST_CASE("golden: Erlang's compressed terms decode") {
  for (const auto& row : compressed_rows) {
    INFO(row.expression);
    auto t = otp::etf::decode(unhex(row.packed));
    REQUIRE(t.has_value());
    CHECK(otp::etf::encode(*t) == unhex(row.plain));
  }
}

TEST_CASE("golden: identifiers of other nodes print with a number per node") {
  otp::erlang_pid remote{.node = otp::atom{"b@host"}, .id = 45, .serial = 1, .creation = 7};
  auto printed = fmt::format("{}", otp::term{remote});
  CHECK(printed.starts_with("<"));
  CHECK(printed.ends_with(".45.1>"));
  CHECK(printed != "<0.45.1>");
  CHECK(fmt::format("{}", otp::term{remote}) == printed);  // stable
  otp::set_local_node(otp::atom{"b@host"});
  CHECK(fmt::format("{}", otp::term{remote}) == "<0.45.1>");
  otp::set_local_node(otp::atom{"nonode@nohost"});
}
