#pragma once

#include <type_traits>
#include <utility>
#include <variant>

namespace otp {

/// Wraps an error value so that `expected<T, E>` can be built from it unambiguously.
template <class E>
struct unexpected {
  E error;
};

template <class E>
unexpected(E) -> unexpected<E>;

/// A value or the error that prevented it: C++23's `std::expected`, cut to what caf-otp needs,
/// so that the library stays usable from C++20. `value()` on an error throws the error itself,
/// which is why every caf-otp error type derives from `std::exception`.
template <class T, class E>
class expected {
 public:
  using value_type = T;
  using error_type = E;

  template <class U = T, class = std::enable_if_t<std::is_constructible_v<T, U&&>>>
  expected(U&& value) : v_(std::in_place_index<0>, std::forward<U>(value)) {}
  expected(unexpected<E> e) : v_(std::in_place_index<1>, std::move(e.error)) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & { return check(), std::get<0>(v_); }
  const T& value() const& { return check(), std::get<0>(v_); }
  /// By value, so that `for (auto& x : f().value())` does not dangle.
  T value() && { return check(), std::get<0>(std::move(v_)); }

  T& operator*() & { return std::get<0>(v_); }
  const T& operator*() const& { return std::get<0>(v_); }
  T* operator->() { return &std::get<0>(v_); }
  const T* operator->() const { return &std::get<0>(v_); }

  E& error() & { return std::get<1>(v_); }
  const E& error() const& { return std::get<1>(v_); }

  template <class U>
  T value_or(U&& fallback) const& {
    return has_value() ? std::get<0>(v_) : static_cast<T>(std::forward<U>(fallback));
  }

 private:
  void check() const {
    if (!has_value())
      throw std::get<1>(v_);
  }

  std::variant<T, E> v_;
};

template <class E>
class expected<void, E> {
 public:
  using value_type = void;
  using error_type = E;

  expected() = default;
  expected(unexpected<E> e) : error_(std::move(e.error)), ok_(false) {}

  bool has_value() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }

  void value() const {
    if (!ok_)
      throw error_;
  }

  E& error() & { return error_; }
  const E& error() const& { return error_; }

 private:
  E error_{};
  bool ok_ = true;
};

}  // namespace otp
