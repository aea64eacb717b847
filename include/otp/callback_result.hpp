#pragma once

#include "otp/action.hpp"
#include "otp/exit_reason.hpp"

#include <optional>
#include <utility>

namespace otp {

// -- the tuples a callback returns, as values --------------------------------------------------

/// `{stop, Reason}` (and, with a reply, `{stop, Reason, Reply}`).
struct stop_t {
  exit_reason reason;
};

template <class R>
struct stop_reply_t {
  exit_reason reason;
  R reply;
};

/// `{noreply, State}` with an optional action.
struct noreply_t {
  otp::action action;
};

/// `{reply, Reply, State}` with an optional action.
template <class R>
struct reply_t {
  R value;
  otp::action action;
};

/// `ignore` from `init`.
struct ignore_t {};

/// `{ok, State}` from `init`, with an optional action.
struct ok_t {
  otp::action action;
};

inline stop_t stop(exit_reason reason) {
  return {std::move(reason)};
}

template <class R>
stop_reply_t<R> stop(exit_reason reason, R reply) {
  return {std::move(reason), std::move(reply)};
}

inline noreply_t noreply(action a = {}) {
  return {std::move(a)};
}
inline noreply_t noreply(timeout t) {
  return {action::after(t)};
}

template <class R>
reply_t<R> reply(R value, action a = {}) {
  return {std::move(value), std::move(a)};
}

template <class R>
reply_t<R> reply(R value, timeout t) {
  return {std::move(value), action::after(t)};
}

inline ok_t ok(action a = {}) {
  return {std::move(a)};
}
inline ok_t ok(timeout t) {
  return {action::after(t)};
}
inline ignore_t ignore() {
  return {};
}

// -- what the generic loop receives ------------------------------------------------------------

/// The result of `init`: return `otp::ok(...)`, `otp::stop(reason)` or `otp::ignore()`, or
/// nothing at all (a `void` init means `ok`).
class init_result {
 public:
  enum class kind { ok, stop, ignore };

  init_result(ok_t ok) : action_(std::move(ok.action)) {}
  init_result(stop_t s) : kind_(kind::stop), reason_(std::move(s.reason)) {}
  init_result(ignore_t) : kind_(kind::ignore) {}

  kind what() const noexcept { return kind_; }
  const exit_reason& reason() const noexcept { return reason_; }
  otp::action& next() noexcept { return action_; }

 private:
  kind kind_ = kind::ok;
  exit_reason reason_;
  otp::action action_;
};

/// The result of `handle_cast`, `handle_info` and `handle_continue`: `otp::noreply(...)` or
/// `otp::stop(reason)`, or nothing (a `void` callback means `noreply`).
class cast_result {
 public:
  cast_result() = default;
  cast_result(noreply_t n) : action_(std::move(n.action)) {}
  cast_result(stop_t s) : stop_(std::move(s.reason)) {}

  bool stops() const noexcept { return stop_.has_value(); }
  const exit_reason& reason() const { return *stop_; }
  otp::action& next() noexcept { return action_; }

 private:
  std::optional<exit_reason> stop_;
  otp::action action_;
};

/// The result of `handle_call` for a request whose reply type is `R`: a plain `R` replies at
/// once; `otp::reply(v, action)`, `otp::noreply(...)` (reply later through `from<R>`),
/// `otp::stop(reason)` and `otp::stop(reason, reply)` do what their OTP tuples do.
template <class R>
class call_result {
 public:
  using reply_type = R;

  template <class U, class = std::enable_if_t<std::is_convertible_v<U&&, R>>>
  call_result(U&& value) : reply_(std::forward<U>(value)) {}
  call_result(reply_t<R> r) : reply_(std::move(r.value)), action_(std::move(r.action)) {}
  call_result(noreply_t n) : action_(std::move(n.action)) {}
  call_result(stop_t s) : stop_(std::move(s.reason)) {}
  call_result(stop_reply_t<R> s) : reply_(std::move(s.reply)), stop_(std::move(s.reason)) {}

  bool has_reply() const noexcept { return reply_.has_value(); }
  R& reply() { return *reply_; }
  bool stops() const noexcept { return stop_.has_value(); }
  const exit_reason& reason() const { return *stop_; }
  otp::action& next() noexcept { return action_; }

 private:
  std::optional<R> reply_;
  std::optional<exit_reason> stop_;
  otp::action action_;
};

}  // namespace otp
