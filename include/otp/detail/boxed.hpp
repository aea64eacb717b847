#pragma once

// A user's value as the library carries it in a message: `box<T>`, and what the library's
// message code (compiled once, in src/) needs to know of it. A user's file builds no CAF
// message: it hands the library a `box_ops` and a way to build the box in place.

#include "otp/detail/type_name.hpp"

#include <cstddef>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace otp::detail {

/// Carries a user's value through a CAF message. User types then need neither an `inspect`
/// overload nor CAF's unsafe-type macro to be sent locally.
template <class T>
struct box {
  T value;
};

/// The type-erased operations of one `box<T>`: a message holds the box in storage of its own
/// and reaches it through these.
struct box_ops {
  /// `typeid(box<T>)`: the element's type as CAF reports it (`match_element<box<T>>`).
  const std::type_info* boxed;
  std::size_t size;
  std::size_t align;
  void (*move)(void* to, void* from);
  /// Throws for a type that cannot be copied (CAF copies a message only when it is shared).
  void (*copy)(void* to, const void* from);
  void (*destroy)(void* at) noexcept;
  /// How reports and CAF's printing show the value (`describe`).
  std::string (*describe)(const void* at);
};

template <class T>
inline constexpr box_ops box_ops_of{
  &typeid(box<T>),
  sizeof(box<T>),
  alignof(box<T>),
  [](void* to, void* from) { ::new (to) box<T>{std::move(static_cast<box<T>*>(from)->value)}; },
  [](void* to, const void* from) {
    if constexpr (std::is_copy_constructible_v<T>)
      ::new (to) box<T>{static_cast<const box<T>*>(from)->value};
    else
      throw std::logic_error("a message holding a move-only value cannot be copied");
  },
  [](void* at) noexcept { static_cast<box<T>*>(at)->~box(); },
  [](const void* at) { return describe(static_cast<const box<T>*>(at)->value); },
};

/// Builds a `box<T>` in the storage the library allocated for it: a reference to the caller's
/// callable, valid for the call it is passed to (a function_ref).
struct box_maker {
  const box_ops* ops;
  void* context;
  void (*make)(void* context, void* where);

  /// Boxes `value` (copied or moved, as it was passed; an array as a pointer to its first
  /// element) into the message being built.
  template <class T>
  static box_maker of(T&& value) noexcept {
    using value_type = std::decay_t<T>;
    using source_type = std::remove_reference_t<T>;
    return {&box_ops_of<value_type>,
            const_cast<void*>(static_cast<const void*>(std::addressof(value))),
            [](void* source, void* where) {
              ::new (where) box<value_type>{std::forward<T>(*static_cast<source_type*>(source))};
            }};
  }
};

}  // namespace otp::detail
