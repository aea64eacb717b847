#pragma once

// The C++ types a message may have when it goes to a process of an Erlang node through its
// `otp::pid` (`otp::send(pid, msg)`): a message is a `caf::message` whose type is known only at
// run time, so each type that may cross says once how it becomes a term. `message_types::add<T>`
// and `expose<S>()` register every type they add that has a term form (`otp::term_traits`, or
// a record through `inspect`); `add_term_type<T>()` registers one more. `otp::term`, atoms,
// strings, integers, floats, booleans, Erlang pids and references are registered already.

#include "otp/detail/boxed.hpp"
#include "otp/term.hpp"
#include "otp/term/convert.hpp"
#include "otp/term/inspect.hpp"

#include <optional>
#include <typeindex>

namespace otp::dist {

namespace detail {

/// `boxed` (a `box<T>`) as a term.
using to_term_fn = term (*)(const void* boxed);

/// Registers how a `box<T>` (its `typeid`) becomes a term; again for the same type: no effect.
void add_term_type(std::type_index boxed, to_term_fn f);
/// The element `boxed` of type `type` (a `box<T>`) as a term; nothing when its type has no
/// term form registered.
std::optional<term> boxed_to_term(std::type_index type, const void* boxed);

template <class T>
concept has_term_form = requires(const T& x) {
  { otp::term_traits<T>::to_term(x) } -> std::same_as<term>;
};

}  // namespace detail

/// Lets values of `T` go to processes of Erlang nodes: `otp::send(pid, T{...})` sends
/// `otp::to_term(value)`.
template <class T>
requires detail::has_term_form<T>
void add_term_type() {
  detail::add_term_type(typeid(otp::detail::box<T>), [](const void* boxed) {
    return otp::to_term(static_cast<const otp::detail::box<T>*>(boxed)->value);
  });
}

}  // namespace otp::dist
