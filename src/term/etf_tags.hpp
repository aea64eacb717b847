#pragma once

// The external term format's tags (erts/emulator/beam/external.h, "External Term Format" in
// the ERTS user's guide).

#include <cstdint>

namespace otp::etf::tag {

constexpr std::uint8_t version = 131;
constexpr std::uint8_t compressed = 80;
constexpr std::uint8_t new_float = 70;
constexpr std::uint8_t bit_binary = 77;
constexpr std::uint8_t atom_cache_ref = 82;
constexpr std::uint8_t new_pid = 88;
constexpr std::uint8_t new_port = 89;
constexpr std::uint8_t newer_reference = 90;
constexpr std::uint8_t small_integer = 97;
constexpr std::uint8_t integer = 98;
constexpr std::uint8_t float_string = 99;  // FLOAT_EXT, 31 bytes of text
constexpr std::uint8_t atom_latin1 = 100;  // ATOM_EXT
constexpr std::uint8_t reference = 101;    // REFERENCE_EXT, obsolete
constexpr std::uint8_t port = 102;
constexpr std::uint8_t pid = 103;
constexpr std::uint8_t small_tuple = 104;
constexpr std::uint8_t large_tuple = 105;
constexpr std::uint8_t nil = 106;
constexpr std::uint8_t string = 107;
constexpr std::uint8_t list = 108;
constexpr std::uint8_t binary = 109;
constexpr std::uint8_t small_big = 110;
constexpr std::uint8_t large_big = 111;
constexpr std::uint8_t new_fun = 112;
constexpr std::uint8_t export_fun = 113;
constexpr std::uint8_t new_reference = 114;
constexpr std::uint8_t small_atom_latin1 = 115;
constexpr std::uint8_t map = 116;
constexpr std::uint8_t fun = 117;
constexpr std::uint8_t atom_utf8 = 118;
constexpr std::uint8_t small_atom_utf8 = 119;
constexpr std::uint8_t v4_port = 120;
constexpr std::uint8_t local = 121;

}  // namespace otp::etf::tag
