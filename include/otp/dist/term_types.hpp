#pragma once

// The C++ types a message may have when it goes to a process of an Erlang node through its
// `otp::pid` (`otp::send(pid, msg)`): a message is a `caf::message` whose type is known only at
// run time, so each type that may cross says once how it becomes a term. `message_types::add<T>`
// and `expose<S>()` register every type they add that has a term form (`otp::term_traits`, or
// a record through `inspect`); `add_term_type<T>()` registers one more. `otp::term`, atoms,
// strings, integers, floats, booleans, Erlang pids and references are registered already.
// The way back is registered with them: a gen_server call through such a pid gets its reply as
// a term, which becomes the caller's reply type `R` (`otp::gen_server::call(pid, req)`).

#include "otp/detail/boxed.hpp"
#include "otp/detail/message_ref.hpp"
#include "otp/expected.hpp"
#include "otp/term.hpp"
#include "otp/term/convert.hpp"
#include "otp/term/inspect.hpp"

#include <optional>
#include <string>
#include <typeindex>
#include <typeinfo>

namespace otp::dist {

namespace detail {

/// `boxed` (a `box<T>`) as a term.
using to_term_fn = term (*)(const void* boxed);

/// `t` as the message of a reply of type `T` (one `box<T>`), or why it is no `T`.
using from_term_fn = expected<otp::detail::message_ref, std::string> (*)(const term& t);

/// Registers how a `box<T>` (its `typeid`) becomes a term and, when `from` is not null, how a
/// term becomes one; again for the same type: no effect.
void add_term_type(std::type_index boxed, to_term_fn f, from_term_fn from = nullptr);
/// The element `boxed` of type `type` (a `box<T>`) as a term; nothing when its type has no
/// term form registered.
std::optional<term> boxed_to_term(std::type_index type, const void* boxed);
/// Whether a term can become a `box<T>` of type `type` (its way back is registered).
bool has_from_term(const std::type_info& type);
/// `t` as the message of a reply of type `type` (a `box<T>`), or why not: the type's way back
/// is not registered, or `t` does not fit it (`wrong_type at {2}: ...`).
expected<otp::detail::message_ref, std::string> boxed_from_term(const std::type_info& type,
                                                                const term& t);

template <class T>
concept has_term_form = requires(const T& x) {
  { otp::term_traits<T>::to_term(x) } -> std::same_as<term>;
};

template <class T>
concept has_from_term_form = requires(const term& t) {
  { otp::term_traits<T>::from_term(t) } -> std::same_as<std::optional<T>>;
};

/// `t` as a reply message holding a `T`.
template <class T>
expected<otp::detail::message_ref, std::string> reply_from_term(const term& t) {
  convert_error why;
  auto v = otp::detail::from_term_why<T>(t, &why);
  if (!v)
    return unexpected{to_string(why)};
  return otp::detail::boxed_message(otp::detail::box_maker::of(std::move(*v)));
}

}  // namespace detail

/// Lets values of `T` go to processes of Erlang nodes: `otp::send(pid, T{...})` sends
/// `otp::to_term(value)`; and, when a term converts to `T`, a gen_server call through such a
/// pid whose reply type is `T` converts its reply (`otp::from_term<T>`).
template <class T>
requires detail::has_term_form<T>
void add_term_type() {
  detail::from_term_fn from = nullptr;
  if constexpr (detail::has_from_term_form<T>)
    from = &detail::reply_from_term<T>;
  detail::add_term_type(
    typeid(otp::detail::box<T>),
    [](const void* boxed) {
      return otp::to_term(static_cast<const otp::detail::box<T>*>(boxed)->value);
    },
    from);
}

}  // namespace otp::dist
