#pragma once

#include <compare>
#include <cstddef>
#include <string>
#include <string_view>

namespace otp {

/// An Erlang atom: a name of at most 255 characters, held as UTF-8.
///
/// Atoms compare by their text, as Erlang orders them (UTF-8 byte order is code point order).
/// They are not interned: an atom decoded from another node's message costs its string and is
/// freed with it, so hostile input cannot fill an atom table.
class atom {
 public:
  /// The empty atom `''`.
  atom() = default;

  /// Throws `std::invalid_argument` when `utf8` is not UTF-8 or longer than 255 characters.
  explicit atom(std::string_view utf8);

  const std::string& name() const noexcept { return name_; }

  friend bool operator==(const atom&, const atom&) = default;
  friend std::strong_ordering operator<=>(const atom& a, const atom& b) noexcept {
    return a.name_.compare(b.name_) <=> 0;
  }

 private:
  std::string name_;
};

/// The number of characters of `utf8`, or -1 when it is not valid UTF-8.
std::ptrdiff_t utf8_length(std::string_view utf8) noexcept;

inline namespace literals {
/// `"bump"_atom`: an atom from a literal.
inline atom operator""_atom(const char* s, std::size_t n) {
  return atom{std::string_view{s, n}};
}
}  // namespace literals

}  // namespace otp
