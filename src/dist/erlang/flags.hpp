#pragma once

// The capability flags of Erlang's distribution handshake (OTP's dist.hrl), which ones a
// caf-otp node advertises, and which it requires of a peer.

#include <cstdint>
#include <string>

namespace otp::dist::erlang {

namespace dflag {
inline constexpr std::uint64_t published = 0x01;
inline constexpr std::uint64_t atom_cache = 0x02;
inline constexpr std::uint64_t extended_references = 0x04;
inline constexpr std::uint64_t dist_monitor = 0x08;
inline constexpr std::uint64_t fun_tags = 0x10;
inline constexpr std::uint64_t dist_monitor_name = 0x20;
inline constexpr std::uint64_t hidden_atom_cache = 0x40;
inline constexpr std::uint64_t new_fun_tags = 0x80;
inline constexpr std::uint64_t extended_pids_ports = 0x100;
inline constexpr std::uint64_t export_ptr_tag = 0x200;
inline constexpr std::uint64_t bit_binaries = 0x400;
inline constexpr std::uint64_t new_floats = 0x800;
inline constexpr std::uint64_t unicode_io = 0x1000;
inline constexpr std::uint64_t dist_hdr_atom_cache = 0x2000;
inline constexpr std::uint64_t small_atom_tags = 0x4000;
inline constexpr std::uint64_t utf8_atoms = 0x10000;
inline constexpr std::uint64_t map_tag = 0x20000;
inline constexpr std::uint64_t big_creation = 0x40000;
inline constexpr std::uint64_t send_sender = 0x80000;
inline constexpr std::uint64_t big_seqtrace_labels = 0x100000;
inline constexpr std::uint64_t exit_payload = 0x400000;
inline constexpr std::uint64_t fragments = 0x800000;
inline constexpr std::uint64_t handshake_23 = 0x1000000;
inline constexpr std::uint64_t unlink_id = 0x2000000;
inline constexpr std::uint64_t mandatory_25_digest = 0x4000000;
inline constexpr std::uint64_t spawn = std::uint64_t{0x01} << 32;
inline constexpr std::uint64_t name_me = std::uint64_t{0x02} << 32;
inline constexpr std::uint64_t v4_nc = std::uint64_t{0x04} << 32;
inline constexpr std::uint64_t alias = std::uint64_t{0x08} << 32;
}  // namespace dflag

/// What OTP 25 refuses a peer without (dist.hrl's MANDATORY_DFLAGS_25); a peer may send
/// `mandatory_25_digest` in their place.
inline constexpr std::uint64_t mandatory_flags_25 =
  dflag::extended_references | dflag::fun_tags | dflag::extended_pids_ports | dflag::new_fun_tags
  | dflag::export_ptr_tag | dflag::bit_binaries | dflag::new_floats | dflag::utf8_atoms
  | dflag::map_tag | dflag::big_creation | dflag::handshake_23;

/// What a caf-otp node says it can do: OTP 25's mandatory set, monitors by pid and by name,
/// SEND_SENDER, UNLINK_ID and 32-bit creations with 64-bit port ids (V4_NC), which OTP 26
/// makes mandatory. Not PUBLISHED (Erlang lists us under `nodes(hidden)`, as an ei node), no
/// atom cache (Erlang then sends pass-through messages, tag 112), no FRAGMENTS, EXIT_PAYLOAD,
/// SPAWN or ALIAS. Funs and bit strings cannot be decoded yet: a message carrying one is
/// dropped and logged, the connection stays.
inline constexpr std::uint64_t advertised_flags = mandatory_flags_25 | dflag::dist_monitor
                                                  | dflag::dist_monitor_name | dflag::send_sender
                                                  | dflag::unlink_id | dflag::v4_nc;

/// True when `peer` has every flag OTP 25 requires (or the digest standing for them).
constexpr bool has_mandatory_flags(std::uint64_t peer) noexcept {
  return (peer & mandatory_flags_25) == mandatory_flags_25
         || ((peer & dflag::mandatory_25_digest) != 0 && (peer & dflag::handshake_23) != 0);
}

/// The names of the flags set in `flags`, as dist_util prints them ("BIG_CREATION|...").
std::string flag_names(std::uint64_t flags);

}  // namespace otp::dist::erlang
