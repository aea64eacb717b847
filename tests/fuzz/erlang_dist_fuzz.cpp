// libFuzzer target for Erlang's distribution as a hostile peer sees it (built and run by
// scripts/fuzz.sh erlang): the input goes to an acceptor and to an initiator handshake machine
// (read want()-sized, as the connection reads), and, after a first byte choosing where, to the
// data mode's packet reader and control message decoder. Nothing may throw, every frame a
// machine sends must be whole, and a failed machine must want nothing more.

#include "dist/erlang/control.hpp"
#include "dist/erlang/handshake.hpp"
#include "dist/erlang/packet_reader.hpp"

#include "frame_checks.hpp"

#include <cstdio>
#include <cstdlib>

namespace {

using namespace otp::dist::erlang;

using fuzz::check;

/// A machine only ever sends whole frames with a valid length and a known tag.
void check_frames(const std::vector<std::uint8_t>& out) {
  fuzz::check_frames(out, max_handshake_frame);
}

void run(handshake::role role, std::span<const std::uint8_t> input) {
  handshake m = role == handshake::role::acceptor
                  ? handshake{role,          node_info{"beam@host", advertised_flags, 2},
                              "fuzz-cookie", {},
                              std::nullopt,  [] { return 5678u; }}
                  : handshake{role,          node_info{"cpp@host", advertised_flags, 1},
                              "fuzz-cookie", {},
                              "beam@host",   [] { return 1234u; }};
  check_frames(m.start());
  std::size_t at = 0;
  while (at < input.size() && m.want() > 0) {
    auto n = std::min(m.want(), input.size() - at);
    check_frames(m.feed(input.subspan(at, n)));
    at += n;
  }
  if (m.current() == handshake::state::failed)
    check(m.want() == 0, "a failed machine wants more");
  m.closed();
  check(m.current() != handshake::state::running, "still running after closed()");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::uint8_t> input{data, size};
  run(handshake::role::acceptor, input);
  run(handshake::role::initiator, input);
  if (size > 0) {
    packet_reader reader{4096};
    if (reader.feed(input.subspan(1))) {
      std::vector<std::uint8_t> packet;
      while (reader.next(packet))
        if (!packet.empty())
          (void)decode_control(packet);
    }
    (void)decode_control(input);
  }
  return 0;
}
