// libFuzzer target for the external term format decoder (built and run by scripts/fuzz.sh term).
// The input is what a hostile peer sends. Whatever it is, decode must return a term or a
// decode_error without crashing; a term it returns must encode, decode again to an equal term,
// encode to the same bytes the second time, print, and compare equal to itself.

#include <otp/term.hpp>

#include <cstdio>
#include <cstdlib>

namespace {

void check(bool ok, const char* invariant) {
  if (!ok) {
    std::fprintf(stderr, "term invariant broken: %s\n", invariant);
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // A small limit, so that compressed inputs cannot make each run slow.
  otp::etf::decode_options options{.max_depth = 64, .max_decompressed = 1 << 20};
  auto t = otp::etf::decode({data, size}, options);
  if (!t) {
    check(t.error().offset() <= size, "an error offset past the input");
    return 0;
  }
  auto bytes = otp::etf::encode(*t);
  auto again = otp::etf::decode(bytes, options);
  check(again.has_value(), "what we encode does not decode");
  check(*again == *t, "a round trip changes the term");
  check(otp::etf::encode(*again) == bytes, "encoding is not deterministic");
  check(!(*t < *t) && *t == *t, "a term is not equal to itself");
  auto latin1 = otp::etf::decode(otp::etf::encode(*t, {.utf8_atoms = false}), options);
  check(latin1.has_value() && *latin1 == *t, "Latin-1 atoms change the term");
  auto printed = otp::to_string(*t, otp::term_style::print);
  auto written = otp::to_string(*t, otp::term_style::write);
  check(!printed.empty() && !written.empty(), "a term prints as nothing");
  return 0;
}
