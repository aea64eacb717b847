#include "term/block_pool.hpp"
#include "term/term_data.hpp"
#include "term/utf8.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace otp {

std::string_view to_string(term_kind k) noexcept {
  switch (k) {
    case term_kind::integer:
      return "integer";
    case term_kind::floating:
      return "float";
    case term_kind::atom:
      return "atom";
    case term_kind::reference:
      return "reference";
    case term_kind::port:
      return "port";
    case term_kind::pid:
      return "pid";
    case term_kind::tuple:
      return "tuple";
    case term_kind::map:
      return "map";
    case term_kind::nil:
      return "nil";
    case term_kind::list:
      return "list";
    case term_kind::binary:
      return "binary";
  }
  return "?";
}

// -- construction ----------------------------------------------------------------------------

term::term(double v) : value_(v) {
  if (!std::isfinite(v))
    throw std::invalid_argument("otp::term: Erlang has no NaN or infinite floats");
}

term::term(big_integer b) {
  if (auto small = b.to_int64())
    value_ = *small;
  else
    value_ = std::make_shared<const big_integer>(std::move(b));
}

term::term(erlang_pid p) : value_(std::make_shared<const erlang_pid>(std::move(p))) {}
term::term(erlang_ref r) {
  if (r.length == 0 || r.length > erlang_ref::max_words)
    throw std::invalid_argument("otp::term: a reference has 1 to 5 words");
  value_ = std::make_shared<const erlang_ref>(std::move(r));
}
term::term(erlang_port p) : value_(std::make_shared<const erlang_port>(std::move(p))) {}

term term::tuple(std::vector<term> elements) {
  // The reference count and the elements in one block of the pool (tuple_data): a decoded
  // message's tuples are freed by the thread that handled it.
  static_assert(std::is_nothrow_move_constructible_v<term>);
  // The elements begin right after the control block, whose size is a multiple of its
  // alignment, which is at least tuple_data's (a span): enough for a term.
  static_assert(alignof(term) <= alignof(tuple_data));
  std::byte* trailing = nullptr;
  auto t = std::allocate_shared<tuple_data>(
    detail::trailing_allocator<tuple_data>{elements.size() * sizeof(term), &trailing});
  auto* first = static_cast<term*>(static_cast<void*>(trailing));
  std::uninitialized_move(elements.begin(), elements.end(), first);
  t->elements = {first, elements.size()};
  return term{std::move(t)};
}

term term::list(std::vector<term> elements, term tail) {
  // A list as tail continues the list: [1|[2,3]] is [1,2,3].
  if (auto* more = std::get_if<list_ptr>(&tail.value_)) {
    auto rest = *more;  // keeps the tail's data alive while `tail` is overwritten
    elements.insert(elements.end(), rest->elements.begin(), rest->elements.end());
    tail = rest->tail;
  }
  if (elements.empty())
    return tail;
  return term{std::make_shared<const list_data>(list_data{std::move(elements), std::move(tail)})};
}

term term::list(std::vector<term> elements) {
  return list(std::move(elements), term{});
}

using detail::next_code_point;

std::ptrdiff_t utf8_length(std::string_view utf8) noexcept {
  std::ptrdiff_t n = 0;
  for (std::size_t i = 0; i < utf8.size(); ++n)
    if (next_code_point(utf8, i) < 0)
      return -1;
  return n;
}

term term::string(std::string_view utf8) {
  std::vector<term> chars;
  chars.reserve(utf8.size());
  for (std::size_t i = 0; i < utf8.size();) {
    long cp = next_code_point(utf8, i);
    if (cp < 0)
      throw std::invalid_argument("otp::term::string: not UTF-8");
    chars.emplace_back(cp);
  }
  return list(std::move(chars));
}

term term::map(std::vector<map_entry> entries) {
  // Stable, so that of equal keys the last given is the last of its run and survives.
  std::stable_sort(entries.begin(), entries.end(),
                   [](const map_entry& a, const map_entry& b) { return a.first < b.first; });
  std::vector<map_entry> unique;
  unique.reserve(entries.size());
  for (auto& e : entries) {
    if (!unique.empty() && unique.back().first == e.first)
      unique.back() = std::move(e);
    else
      unique.push_back(std::move(e));
  }
  return term_access::sorted_map(std::move(unique));
}

term term_access::sorted_map(std::vector<term::map_entry> entries) {
  return term{std::make_shared<const map_data>(map_data{std::move(entries)})};
}

term term::binary(std::span<const std::uint8_t> bytes) {
  // The reference count and the bytes in one block of the pool (binary_data), freed wherever
  // the last copy of the term goes.
  std::byte* trailing = nullptr;
  auto b = std::allocate_shared<binary_data>(
    detail::trailing_allocator<binary_data>{bytes.size(), &trailing});
  if (!bytes.empty())
    std::memcpy(trailing, bytes.data(), bytes.size());
  b->bytes = {reinterpret_cast<const std::uint8_t*>(trailing), bytes.size()};
  return term{std::move(b)};
}

term term::binary(std::string_view bytes) {
  auto* p = reinterpret_cast<const std::uint8_t*>(bytes.data());
  return binary(std::span<const std::uint8_t>{p, bytes.size()});
}

// -- inspection ------------------------------------------------------------------------------

term_kind term::kind() const noexcept {
  auto i = value_.index();
  return static_cast<term_kind>(i == 0 ? 0 : i - 1);
}

bool term::is_atom(std::string_view name) const noexcept {
  auto* a = std::get_if<atom>(&value_);
  return a != nullptr && a->name() == name;
}

std::span<const term> term::tuple_elements() const noexcept {
  auto* t = std::get_if<tuple_ptr>(&value_);
  return t != nullptr ? std::span<const term>{(*t)->elements} : std::span<const term>{};
}

std::span<const term> term::list_elements() const noexcept {
  auto* l = std::get_if<list_ptr>(&value_);
  return l != nullptr ? std::span<const term>{(*l)->elements} : std::span<const term>{};
}

const term& term::list_tail() const noexcept {
  static const term nil;
  auto* l = std::get_if<list_ptr>(&value_);
  return l != nullptr ? (*l)->tail : nil;
}

std::span<const term::map_entry> term::map_entries() const noexcept {
  auto* m = std::get_if<map_ptr>(&value_);
  return m != nullptr ? std::span<const map_entry>{(*m)->entries} : std::span<const map_entry>{};
}

const term* term::find(const term& key) const noexcept {
  auto entries = map_entries();
  auto it = std::lower_bound(entries.begin(), entries.end(), key,
                             [](const map_entry& e, const term& k) { return e.first < k; });
  return it != entries.end() && it->first == key ? &it->second : nullptr;
}

std::span<const std::uint8_t> term::binary_bytes() const noexcept {
  auto* b = std::get_if<binary_ptr>(&value_);
  return b != nullptr ? std::span<const std::uint8_t>{(*b)->bytes}
                      : std::span<const std::uint8_t>{};
}

std::size_t term::size() const noexcept {
  return is_tuple() ? tuple_elements().size() : list_elements().size();
}

const term& term::operator[](std::size_t i) const {
  auto elements = is_tuple() ? tuple_elements() : list_elements();
  if (i >= elements.size())
    throw std::out_of_range("otp::term: index out of range");
  return elements[i];
}

}  // namespace otp
