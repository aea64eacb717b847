#pragma once

// `box<T>` (boxed.hpp) as CAF sees it: an unsafe message type, printed through `describe`.

#include "otp/detail/boxed.hpp"

#include <caf/allowed_unsafe_message_type.hpp>

#include <string>

namespace otp::detail {

/// How CAF prints a boxed value (an unexpected message in the log, a sys trace): through fmt
/// when it is formattable, else by its type's name (CAF alone would print `<unprintable>`).
template <class T>
std::string to_string(const box<T>& x) {
  return describe(x.value);
}

}  // namespace otp::detail

namespace caf {

template <class T>
struct allowed_unsafe_message_type<otp::detail::box<T>> : std::true_type {};

}  // namespace caf
