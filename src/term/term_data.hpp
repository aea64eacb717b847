#pragma once

// The insides of otp::term, for the codec, the comparison and the printer.

#include "otp/term/term.hpp"

#include <memory>
#include <span>
#include <type_traits>
#include <vector>

namespace otp {

// What term_access::visit hands a visitor for the compound kinds.
struct nil_view {};
struct tuple_view {
  std::span<const term> elements;
};
struct list_view {
  std::span<const term> elements;  // never empty
  const term& tail;
};
struct map_view {
  std::span<const std::pair<term, term>> entries;
};
struct binary_view {
  std::span<const std::uint8_t> bytes;
};

struct term::tuple_data {
  // The elements follow in the same block of the allocating thread's pool (term::tuple,
  // term/block_pool.hpp), constructed there; this destroys them.
  std::span<const term> elements;

  tuple_data() = default;
  tuple_data(const tuple_data&) = delete;
  tuple_data& operator=(const tuple_data&) = delete;
  ~tuple_data() { std::destroy(elements.begin(), elements.end()); }
};

struct term::list_data {
  std::vector<term> elements;  // never empty
  term tail;                   // [] or a term that is not a list
};

struct term::map_data {
  std::vector<map_entry> entries;  // sorted by key, keys unique
};

struct term::binary_data {
  // The bytes follow the reference count in one block of the allocating thread's pool
  // (term::binary, term/block_pool.hpp): a binary decoded by the distribution's I/O thread
  // is freed by the thread that handled its message.
  std::span<const std::uint8_t> bytes;
};

struct term_access {
  using storage = term::storage;
  using tuple_data = term::tuple_data;
  using list_data = term::list_data;
  using map_data = term::map_data;
  using binary_data = term::binary_data;

  static const storage& value(const term& t) noexcept { return t.value_; }
  /// The value of a term known to hold a T (see term::get_if), by reference.
  template <class T>
  static const T& get(const term& t) {
    if constexpr (std::is_same_v<
                    T, std::int64_t> || std::is_same_v<T, double> || std::is_same_v<T, atom>)
      return std::get<T>(t.value_);
    else
      return *std::get<std::shared_ptr<const T>>(t.value_);
  }
  static term make(storage v) noexcept { return term{std::move(v)}; }

  /// Calls `f` with what `t` holds: std::int64_t, big_integer, double, atom, erlang_ref,
  /// erlang_port, erlang_pid, or a view of a tuple, map, [], list or binary.
  template <class F>
  static decltype(auto) visit(const term& t, F&& f) {
    return std::visit(
      [&](const auto& v) -> decltype(auto) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::monostate>)
          return f(nil_view{});
        else if constexpr (std::is_same_v<V, term::tuple_ptr>)
          return f(tuple_view{v->elements});
        else if constexpr (std::is_same_v<V, term::list_ptr>)
          return f(list_view{v->elements, v->tail});
        else if constexpr (std::is_same_v<V, term::map_ptr>)
          return f(map_view{v->entries});
        else if constexpr (std::is_same_v<V, term::binary_ptr>)
          return f(binary_view{v->bytes});
        else if constexpr (std::is_same_v<
                             V,
                             std::int64_t> || std::is_same_v<V, double> || std::is_same_v<V, atom>)
          return f(v);
        else
          return f(*v);  // a shared big_integer, erlang_ref, erlang_port or erlang_pid
      },
      t.value_);
  }
  static std::weak_ordering compare(const term& a, const term& b) noexcept {
    return term::compare(a, b);
  }
  /// A map from entries already sorted by key and unique.
  static term sorted_map(std::vector<term::map_entry> entries);
};

}  // namespace otp
