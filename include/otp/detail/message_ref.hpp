#pragma once

// CAF messages for the code a user's file compiles, by handle: the templates of gen_server
// build their requests and replies and read the replies through these functions, and the
// messages themselves are made and taken apart in src/ (boxed_message.cpp). A user's file then
// compiles none of CAF.

#include "otp/detail/boxed.hpp"

#include <typeinfo>
#include <utility>

namespace otp::detail {

struct dispatch;

/// One counted reference to the contents of a `caf::message` (its `message_data`), or none.
class message_ref {
 public:
  message_ref() noexcept = default;
  /// Takes over one reference to `data` (a `caf::detail::message_data*`).
  explicit message_ref(void* data) noexcept : data_(data) {}
  message_ref(message_ref&& other) noexcept : data_(std::exchange(other.data_, nullptr)) {}
  message_ref& operator=(message_ref&& other) noexcept {
    message_ref taken{std::move(other)};
    std::swap(data_, taken.data_);
    return *this;
  }
  message_ref(const message_ref&) = delete;
  message_ref& operator=(const message_ref&) = delete;
  ~message_ref() {
    if (data_)
      drop(data_);
  }

  explicit operator bool() const noexcept { return data_ != nullptr; }
  void* get() const noexcept { return data_; }
  /// Gives up the reference without dropping it.
  void* release() noexcept { return std::exchange(data_, nullptr); }

 private:
  static void drop(void* data) noexcept;

  void* data_ = nullptr;
};

/// The message `(box<T>)`: a reply.
message_ref boxed_message(box_maker value);

/// The message `(dispatch_ref, box<T>)`: a call or a cast to a server on this node.
message_ref request_message(const dispatch& d, box_maker request);

/// Where the value of `reply` lies: a `box<R>` (`boxed` is `typeid(box<R>)`, and `is_boxed`
/// is set), or a bare `R` from another node (`bare`); null when the reply is neither. Taken out
/// of `reply` (copied first if it was shared): valid while `reply` is.
void* reply_value(message_ref& reply, const std::type_info& boxed, const std::type_info& bare,
                  bool& is_boxed);

}  // namespace otp::detail
