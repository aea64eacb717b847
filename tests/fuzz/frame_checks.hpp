#pragma once

// What every distribution handshake fuzz target checks of what a machine sends: an invariant
// broken aborts with its name, and every frame sent is whole, with a valid length and a known
// tag (both handshakes frame as 2-byte length, then a tag of 'N', 's', 'r' or 'a').

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace fuzz {

inline void check(bool ok, const char* invariant) {
  if (!ok) {
    std::fprintf(stderr, "fuzz invariant broken: %s\n", invariant);
    std::abort();
  }
}

inline void check_frames(const std::vector<std::uint8_t>& out, std::size_t max_frame) {
  std::size_t pos = 0;
  while (pos < out.size()) {
    check(out.size() - pos >= 3, "a frame shorter than header and tag");
    std::size_t length = std::size_t{out[pos]} << 8 | out[pos + 1];
    check(length >= 1 && length <= max_frame, "a frame length out of range");
    check(out.size() - pos - 2 >= length, "a frame longer than what was sent");
    auto tag = out[pos + 2];
    check(tag == 'N' || tag == 's' || tag == 'r' || tag == 'a', "an unknown tag sent");
    pos += 2 + length;
  }
}

}  // namespace fuzz
