#pragma once

#include "otp/term/atom.hpp"
#include "otp/term/big_integer.hpp"
#include "otp/term/ids.hpp"

#include <compare>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace otp {

/// The kinds of Erlang terms, in Erlang's term order:
/// number < atom < reference < fun < port < pid < tuple < map < nil < list < bit string.
/// (Funs are not represented; `binary` is the byte-aligned bit string.)
enum class term_kind : std::uint8_t {
  integer,
  floating,
  atom,
  reference,
  port,
  pid,
  tuple,
  map,
  nil,
  list,
  binary,
};

std::string_view to_string(term_kind k) noexcept;

/// An Erlang term: a value, immutable once built, as in Erlang.
///
/// Copies are cheap: tuples, lists, maps, binaries, bignums and identifiers are shared, not
/// copied (a reference count); numbers and atoms are held inline. A default-constructed term is
/// `[]`. Strings are lists of code points (`term::string("abc")` is `[97,98,99]`, printed
/// `"abc"`); text as Elixir and most modern Erlang APIs carry it is a binary
/// (`term::binary("abc")`). `==` is Erlang's `=:=` (`1 == 1.0` is false) and `<=>` is Erlang's
/// term order, with an integer before a float of the same value, as map keys are ordered.
class term {
 public:
  using map_entry = std::pair<term, term>;

  // -- construction --------------------------------------------------------------------------

  /// `[]`.
  term() noexcept = default;

  template <std::integral I>
  requires(!std::same_as<I, bool> && !std::same_as<I, char>) term(I v) : term(from_integer(v)) {}
  /// A float; throws `std::invalid_argument` for NaN and infinities, which Erlang lacks.
  term(double v);
  /// The atoms `true` and `false`, Erlang's booleans.
  term(bool b) : value_(atom{b ? "true" : "false"}) {}
  term(atom a) : value_(std::move(a)) {}
  term(big_integer b);
  term(erlang_pid p);
  term(erlang_ref r);
  term(erlang_port p);
  /// Deleted: say what a C string is meant to be, `term::atom`, `term::string` (a list) or
  /// `term::binary` (otherwise it would silently become the atom `true`).
  term(const char*) = delete;

  static term make_atom(std::string_view utf8) { return term{atom{utf8}}; }
  static term tuple(std::vector<term> elements);
  static term tuple(std::initializer_list<term> elements) { return tuple(std::vector(elements)); }
  /// A list; `tail` makes it improper (`[1,2|3]`) unless it is `[]` or itself a list.
  static term list(std::vector<term> elements, term tail);
  static term list(std::vector<term> elements);
  static term list(std::initializer_list<term> elements) { return list(std::vector(elements)); }
  /// An Erlang string: the list of the code points of `utf8` (throws on invalid UTF-8).
  static term string(std::string_view utf8);
  /// A map; a key given twice keeps its last value, as `maps:from_list/1`.
  static term map(std::vector<map_entry> entries);
  static term map(std::initializer_list<map_entry> entries) { return map(std::vector(entries)); }
  static term binary(std::span<const std::uint8_t> bytes);
  static term binary(std::string_view bytes);

  // -- inspection ----------------------------------------------------------------------------

  term_kind kind() const noexcept;
  bool is_number() const noexcept { return kind() <= term_kind::floating; }
  bool is_atom() const noexcept { return kind() == term_kind::atom; }
  bool is_atom(std::string_view name) const noexcept;
  bool is_tuple() const noexcept { return kind() == term_kind::tuple; }
  bool is_nil() const noexcept { return kind() == term_kind::nil; }
  /// A list, `[]` included (Erlang's `is_list/1`).
  bool is_list() const noexcept { return is_nil() || kind() == term_kind::list; }
  bool is_map() const noexcept { return kind() == term_kind::map; }
  bool is_binary() const noexcept { return kind() == term_kind::binary; }

  /// The value if it is of that type, else nullptr: `std::int64_t`, `double`, `atom`,
  /// `big_integer` (integers outside 64 bits only), `erlang_pid`, `erlang_ref`, `erlang_port`.
  template <class T>
  const T* get_if() const noexcept;

  /// The elements of a tuple (empty for anything else).
  std::span<const term> tuple_elements() const noexcept;
  /// The elements of a list before its tail (empty for `[]` and non-lists).
  std::span<const term> list_elements() const noexcept;
  /// The tail of a list: `[]` for a proper list (and for anything else).
  const term& list_tail() const noexcept;
  /// The entries of a map in key order (empty for anything else).
  std::span<const map_entry> map_entries() const noexcept;
  /// The value of `key` in a map, or nullptr.
  const term* find(const term& key) const noexcept;
  std::span<const std::uint8_t> binary_bytes() const noexcept;

  /// The elements of a tuple or a proper list; element `i` of a tuple or list (throws
  /// `std::out_of_range`).
  std::size_t size() const noexcept;
  const term& operator[](std::size_t i) const;

  // -- comparison ----------------------------------------------------------------------------

  friend bool operator==(const term& a, const term& b) noexcept {
    return compare(a, b) == std::weak_ordering::equivalent;
  }
  friend std::weak_ordering operator<=>(const term& a, const term& b) noexcept {
    return compare(a, b);
  }

 private:
  struct tuple_data;
  struct list_data;
  struct map_data;
  struct binary_data;
  using tuple_ptr = std::shared_ptr<const tuple_data>;
  using list_ptr = std::shared_ptr<const list_data>;
  using map_ptr = std::shared_ptr<const map_data>;
  using binary_ptr = std::shared_ptr<const binary_data>;
  // One alternative per kind, in term order; integers have two (inline and big).
  using storage =
    std::variant<std::int64_t, std::shared_ptr<const big_integer>, double, atom,
                 std::shared_ptr<const erlang_ref>, std::shared_ptr<const erlang_port>,
                 std::shared_ptr<const erlang_pid>, tuple_ptr, map_ptr, std::monostate, list_ptr,
                 binary_ptr>;

  explicit term(storage v) noexcept : value_(std::move(v)) {}
  template <std::integral I>
  static term from_integer(I v) {
    if constexpr (std::is_unsigned_v<I> && sizeof(I) >= sizeof(std::int64_t)) {
      if (v > static_cast<std::uint64_t>(INT64_MAX))
        return term{big_integer::from_uint64(v)};
    }
    return term{storage{static_cast<std::int64_t>(v)}};
  }

  static std::weak_ordering compare(const term& a, const term& b) noexcept;
  friend struct term_access;

  storage value_ = std::monostate{};
};

}  // namespace otp

namespace otp {

template <class T>
const T* term::get_if() const noexcept {
  if constexpr (std::is_same_v<
                  T, std::int64_t> || std::is_same_v<T, double> || std::is_same_v<T, atom>) {
    return std::get_if<T>(&value_);
  } else {
    static_assert(
      std::is_same_v<
        T,
        big_integer> || std::is_same_v<T, erlang_pid> || std::is_same_v<T, erlang_ref> || std::is_same_v<T, erlang_port>,
      "term::get_if: not a term value type");
    auto* p = std::get_if<std::shared_ptr<const T>>(&value_);
    return p != nullptr ? p->get() : nullptr;
  }
}

}  // namespace otp
