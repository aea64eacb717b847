// libFuzzer target for the external term format decoder (built and run by scripts/fuzz.sh term).
// The input is what a hostile peer sends. Whatever it is, decode must return a term or a
// decode_error without crashing; a term it returns must encode, decode again to an equal term,
// encode to the same bytes the second time, print, and compare equal to itself. And any term
// converts to C++ types (records through their inspect among them) or says why not, and a
// converted value converts back to a term that converts again.

#include <otp/term.hpp>
#include <otp/term/inspect.hpp>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace {

void check(bool ok, const char* invariant) {
  if (!ok) {
    std::fprintf(stderr, "term invariant broken: %s\n", invariant);
    std::abort();
  }
}

struct step {
  std::int32_t by = 0;
  std::optional<std::string> label;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, step& x) {
  return f(caf::meta::type_name("step"), x.by, x.label);
}

struct route {
  std::vector<step> steps;
  std::map<otp::atom, double> weights;
  std::tuple<std::uint8_t, bool> flags;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, route& x) {
  return f(caf::meta::type_name("route"), x.steps, x.weights, x.flags);
}

/// `t` as a `T`, or a reason that prints; a value converts back and again.
template <class T>
void convert(const otp::term& t) {
  auto v = otp::try_from_term<T>(t);
  if (!v) {
    check(!otp::to_string(v.error()).empty(), "a conversion error prints as nothing");
    return;
  }
  check(otp::try_from_term<T>(otp::to_term(*v)).has_value(),
        "a converted value does not convert back");
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
  convert<step>(*t);
  convert<route>(*t);
  convert<std::vector<std::pair<std::int64_t, std::string>>>(*t);
  if (t->is_tuple())
    for (const auto& e : t->tuple_elements()) {
      convert<step>(e);
      convert<route>(e);
    }
  return 0;
}
