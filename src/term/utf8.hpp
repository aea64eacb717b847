#pragma once

// UTF-8 for atoms, strings and printing.

#include <cstdint>
#include <string>
#include <string_view>

namespace otp::detail {

/// Decodes the code point of `s` at `i` and moves `i` past it; -1 (and `i` unchanged) on
/// invalid UTF-8: a bad lead or continuation byte, an overlong form, a surrogate, > U+10FFFF.
inline long next_code_point(std::string_view s, std::size_t& i) noexcept {
  auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = byte(i);
  int extra = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : -1;
  if (extra < 0 || i + static_cast<std::size_t>(extra) >= s.size())
    return -1;
  long cp = extra == 0 ? c : c & (0x3f >> extra);
  for (int k = 1; k <= extra; ++k) {
    if ((byte(i + static_cast<std::size_t>(k)) & 0xc0) != 0x80)
      return -1;
    cp = cp << 6 | (byte(i + static_cast<std::size_t>(k)) & 0x3f);
  }
  static constexpr long min_for[] = {0, 0x80, 0x800, 0x10000};
  if (cp < min_for[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
    return -1;
  i += static_cast<std::size_t>(extra) + 1;
  return cp;
}

/// Whether `cp` is a code point UTF-8 can carry.
inline bool is_code_point(std::int64_t cp) noexcept {
  return cp >= 0 && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
}

inline void append_utf8(std::string& out, std::uint32_t cp) {
  auto put = [&](std::uint32_t v) { out.push_back(static_cast<char>(v)); };
  if (cp < 0x80) {
    put(cp);
  } else if (cp < 0x800) {
    put(0xc0 | cp >> 6);
    put(0x80 | (cp & 0x3f));
  } else if (cp < 0x10000) {
    put(0xe0 | cp >> 12);
    put(0x80 | (cp >> 6 & 0x3f));
    put(0x80 | (cp & 0x3f));
  } else {
    put(0xf0 | cp >> 18);
    put(0x80 | (cp >> 12 & 0x3f));
    put(0x80 | (cp >> 6 & 0x3f));
    put(0x80 | (cp & 0x3f));
  }
}

}  // namespace otp::detail
