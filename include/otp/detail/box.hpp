#pragma once

#include <caf/allowed_unsafe_message_type.hpp>

namespace otp::detail {

/// Carries a user's value through a CAF message. User types then need neither an `inspect`
/// overload nor CAF's unsafe-type macro to be sent locally.
template <class T>
struct box {
  T value;
};

}  // namespace otp::detail

namespace caf {

template <class T>
struct allowed_unsafe_message_type<otp::detail::box<T>> : std::true_type {};

}  // namespace caf
