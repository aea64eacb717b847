// Ensure that the decoder refuses malformed, truncated and oversized input with a typed error,
// and allocates nothing a length field asks for before the input shows it has that much.

#include <otp/term.hpp>

#include <doctest/doctest.h>

#include <vector>

using otp::term;
using kind = otp::etf::decode_error::kind;
using bytes = std::vector<std::uint8_t>;

namespace {

kind refusal(const bytes& b, const otp::etf::decode_options& options = {}) {
  auto r = otp::etf::decode(b, options);
  REQUIRE_FALSE(r.has_value());
  return r.error().what_kind();
}

}  // namespace

TEST_CASE("etf malformed: the version byte and the end of the input") {
  CHECK(refusal({}) == kind::truncated);
  CHECK(refusal({130, 97, 1}) == kind::bad_version);
  CHECK(refusal({131}) == kind::truncated);
  CHECK(refusal({131, 98, 0, 0}) == kind::truncated);
  CHECK(refusal({131, 104, 2, 97, 1}) == kind::truncated);
  CHECK(refusal({131, 97, 1, 0}) == kind::trailing_bytes);
  CHECK(otp::etf::decode(bytes{131, 97, 1, 0}).error().offset() == 3);
}

TEST_CASE("etf malformed: every proper prefix of a valid term is refused") {
  auto whole = otp::etf::encode(term::tuple(
    {term::map({{1, term::binary("xy")}}), term::list({1.5, 2}, 3), term{otp::erlang_pid{}}}));
  for (std::size_t n = 0; n < whole.size(); ++n) {
    INFO("prefix " << n);
    auto k = refusal(bytes(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(n)));
    // A count the cut input cannot hold any more is refused as such, before the elements.
    CHECK((k == kind::truncated || k == kind::bad_length));
  }
}

TEST_CASE("etf malformed: lengths beyond the input are refused before allocating") {
  CHECK(refusal({131, 109, 0xff, 0xff, 0xff, 0xff, 1}) == kind::bad_length);    // binary
  CHECK(refusal({131, 108, 0xff, 0xff, 0xff, 0xff, 106}) == kind::bad_length);  // list
  CHECK(refusal({131, 105, 0xff, 0xff, 0xff, 0xff}) == kind::bad_length);       // tuple
  CHECK(refusal({131, 116, 0x80, 0, 0, 0, 97, 1, 97, 2}) == kind::bad_length);  // map
  CHECK(refusal({131, 111, 0xff, 0xff, 0xff, 0xff, 0}) == kind::bad_length);    // bignum
  CHECK(refusal({131, 107, 0xff, 0xff, 97}) == kind::truncated);                // string
  CHECK(refusal({131, 116, 0, 0, 0, 2, 97, 1, 97, 2}) == kind::truncated);
}

TEST_CASE("etf malformed: values Erlang refuses too") {
  CHECK(refusal({131, 70, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0}) == kind::invalid);  // NaN
  CHECK(refusal({131, 70, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0}) == kind::invalid);  // infinity
  CHECK(refusal({131, 119, 2, 0xc3, 0x28}) == kind::invalid);                // bad UTF-8
  CHECK(refusal({131, 118, 0, 2, 0xc0, 0x80}) == kind::invalid);             // overlong
  bytes long_atom{131, 100, 1, 0};                                           // 256 Latin-1
  long_atom.resize(long_atom.size() + 256, 'a');
  CHECK(refusal(long_atom) == kind::invalid);
  CHECK(refusal({131, 116, 0, 0, 0, 2, 97, 1, 97, 2, 97, 1, 97, 3}) == kind::invalid);  // dup key
  CHECK(refusal({131, 90, 0, 0, 119, 1, 'n', 0, 0, 0, 0}) == kind::invalid);  // 0-word ref
  CHECK(refusal({131, 90, 0, 6, 119, 1, 'n', 0, 0, 0, 0}) == kind::invalid);  // 6-word ref
  CHECK(refusal({131, 88, 97, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}) == kind::invalid);
  CHECK(refusal({131, 110, 1, 2, 5}) == kind::invalid);  // bignum sign 2
}

TEST_CASE("etf malformed: unknown and unsupported tags") {
  CHECK(refusal({131, 1}) == kind::unknown_tag);
  CHECK(refusal({131, 77, 0, 0, 0, 1, 3, 0xe0}) == kind::unsupported);               // bit string
  CHECK(refusal({131, 113, 119, 1, 'm', 119, 1, 'f', 97, 1}) == kind::unsupported);  // fun
  CHECK(refusal({131, 82, 0}) == kind::unsupported);                                 // atom cache
}

TEST_CASE("etf malformed: nesting deeper than max_depth") {
  bytes deep{131};
  for (int i = 0; i < 100000; ++i) {
    deep.push_back(104);
    deep.push_back(1);
  }
  deep.push_back(106);
  CHECK(refusal(deep) == kind::too_deep);
  bytes lists{131};
  for (int i = 0; i < 1000; ++i)
    lists.insert(lists.end(), {108, 0, 0, 0, 1});
  lists.push_back(106);
  lists.insert(lists.end(), 1000, 106);
  CHECK(refusal(lists) == kind::too_deep);
  auto ok = otp::etf::decode(bytes{131, 104, 1, 104, 1, 106}, {.max_depth = 2});
  CHECK(ok.has_value());
  CHECK(refusal({131, 104, 1, 104, 1, 106}, {.max_depth = 1}) == kind::too_deep);
}

TEST_CASE("etf malformed: compressed terms that lie about their size") {
  // term_to_binary(lists:duplicate(100, {abc, "hello world"}), [compressed]) from Erlang.
  bytes good{131, 80,  0,  0,   8,  158, 120, 156, 203, 97,  96, 96,  72,  201, 96,
             74,  97,  96, 78,  76, 74,  206, 102, 224, 206, 72, 205, 201, 201, 87,
             40,  207, 47, 202, 25, 21,  29,  21,  29,  21,  29, 21,  29,  21,  29,
             21,  29,  21, 29,  21, 29,  0,   209, 44,  0,   51, 21,  167, 221};
  REQUIRE(otp::etf::decode(good).has_value());
  auto with_size = [&](std::uint32_t size) {
    auto b = good;
    b[2] = static_cast<std::uint8_t>(size >> 24);
    b[3] = static_cast<std::uint8_t>(size >> 16);
    b[4] = static_cast<std::uint8_t>(size >> 8);
    b[5] = static_cast<std::uint8_t>(size);
    return b;
  };
  CHECK(refusal(with_size(0x89d)) == kind::bad_compressed);  // one byte short
  CHECK(refusal(with_size(0x89f)) == kind::bad_compressed);  // one byte over
  CHECK(refusal(with_size(0xffffffff)) == kind::too_large);
  CHECK(refusal(with_size(0x2000000)) == kind::bad_length);  // 32 MiB from 60 bytes
  CHECK(refusal(good, {.max_decompressed = 100}) == kind::too_large);
  auto corrupt = good;
  corrupt[20] ^= 0xff;
  CHECK(refusal(corrupt) == kind::bad_compressed);
  auto cut = good;
  cut.pop_back();
  CHECK(refusal(cut) == kind::bad_compressed);
  CHECK(refusal({131, 80, 0, 0}) == kind::truncated);
}
