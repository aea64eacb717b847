// libFuzzer target for the distribution handshake (built and run by scripts/fuzz.sh). The input
// is everything a hostile peer sends; it goes to a server and to a client machine, read the way
// the driver reads: want()-sized, and byte by byte, which must not change the outcome.

#include "dist/handshake.hpp"

#include "frame_checks.hpp"

#include <cstdio>
#include <cstdlib>
#include <stdexcept>

namespace {

using otp::dist::detail::handshake;
using otp::dist::detail::max_handshake_frame;
using otp::dist::detail::node_hello;
using state = handshake::state;
using kind = otp::dist::dist_error::kind;

using fuzz::check;

/// A machine only ever sends whole frames with a valid length and a known tag.
void check_frames(const std::vector<std::uint8_t>& out) {
  fuzz::check_frames(out, max_handshake_frame);
}

struct outcome {
  state final;
  kind what;
  std::size_t consumed;
};

outcome run(handshake::role role, std::span<const std::uint8_t> input, bool byte_by_byte) {
  handshake m =
    role == handshake::role::server
      ? handshake{role, node_hello{"beta@host", 2, 15000}, "fuzz-cookie"}
      : handshake{role, node_hello{"alpha@host", 1, 15000}, "fuzz-cookie", {}, "beta@host"};
  check_frames(m.start());
  std::size_t pos = 0;
  while (pos < input.size() && m.want() > 0) {
    check(m.current() == state::running, "wants bytes while not running");
    check(m.want() <= max_handshake_frame, "wants more than a frame");
    std::size_t n = byte_by_byte ? 1 : std::min(m.want(), input.size() - pos);
    auto out = m.feed(input.subspan(pos, n));
    pos += n;
    check_frames(out);
    check(role == handshake::role::server || m.current() != state::failed || out.empty(),
          "a client that talks while failing");
    check((m.want() == 0) == (m.current() != state::running),
          "want() is 0 exactly when the machine stopped");
  }
  // Without the cookie the input cannot authenticate, so neither side can get done.
  check(m.current() != state::done, "done without the cookie");
  if (m.current() == state::failed) {
    check(m.error().what != kind::system, "a system failure (RAND or HMAC)");
    check(m.want() == 0, "wants bytes after failing");
    check(m.feed({}).empty() && m.current() == state::failed, "failed is not final");
    if (pos < input.size()) {
      bool threw = false;
      try {
        m.feed(input.subspan(pos, 1));
      } catch (const std::logic_error&) {
        threw = true;
      }
      check(threw && m.current() == state::failed, "accepts a byte more than it wants");
    }
  }
  return {m.current(), m.error().what, pos};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> input{data, size};
  for (auto role : {handshake::role::server, handshake::role::client}) {
    auto whole = run(role, input, false);
    auto bytes = run(role, input, true);
    check(
      whole.final == bytes.final && whole.what == bytes.what && whole.consumed == bytes.consumed,
      "the outcome depends on how reads are split");
  }
  return 0;
}
