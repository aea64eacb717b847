#pragma once

#include "otp/expected.hpp"
#include "otp/term/etf_error.hpp"
#include "otp/term/term.hpp"

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

/// Erlang's external term format, version 131: what `term_to_binary/1` writes and
/// `binary_to_term/1` reads, and what nodes exchange.
namespace otp::etf {

struct encode_options {
  /// Atoms as ATOM_UTF8_EXT / SMALL_ATOM_UTF8_EXT (distribution with UTF8_ATOMS, OTP 26's
  /// `term_to_binary`). false: Latin-1 atoms as ATOM_EXT, as OTP 25's `term_to_binary`.
  bool utf8_atoms = true;
};

struct decode_options {
  /// Tuples, lists and maps nested deeper than this are refused (too_deep): the decoder,
  /// comparison and printing recurse, and processes run on small stacks.
  std::size_t max_depth = 256;
  /// A compressed term (tag 80) announcing more bytes than this is refused (too_large).
  std::size_t max_decompressed = std::size_t{64} << 20;
};

/// `term_to_binary(T)`: 131 then the term.
std::vector<std::uint8_t> encode(const term& t, const encode_options& options = {});
/// Appends 131 and the term to `out`.
void encode_to(std::vector<std::uint8_t>& out, const term& t, const encode_options& options = {});

/// `binary_to_term(Bytes)`: the whole input must be one term (131 first).
expected<term, decode_error> decode(std::span<const std::uint8_t> bytes,
                                    const decode_options& options = {});

/// One term from the front of `bytes` and how many bytes it took: distribution messages are
/// several terms back to back.
struct decoded {
  term value;
  std::size_t size = 0;
};
expected<decoded, decode_error> decode_prefix(std::span<const std::uint8_t> bytes,
                                              const decode_options& options = {});

}  // namespace otp::etf
