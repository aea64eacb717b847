#pragma once

#include <fmt/core.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace otp {

/// Why a process exited, in OTP's vocabulary.
///
/// | caf-otp                          | Erlang/OTP             |
/// |----------------------------------|------------------------|
/// | `exit_reason::normal()`          | `normal`               |
/// | `exit_reason::shutdown()`        | `shutdown`             |
/// | `exit_reason::shutdown("x")`     | `{shutdown, x}`        |
/// | `exit_reason::kill()`            | `kill` (the signal)    |
/// | `exit_reason::killed()`          | `killed`               |
/// | `exit_reason::noproc()`          | `noproc`               |
/// | `exit_reason::noconnection()`    | `noconnection`         |
/// | `exit_reason::error("boom")`     | any other term         |
/// | `exit_reason::exception(e)`      | `{Class, Reason, Stk}` |
class exit_reason {
 public:
  enum class kind : std::uint8_t {
    normal,
    shutdown,
    kill,
    killed,
    noproc,
    noconnection,
    timeout,
    exception,
    error,
  };

  /// A default-constructed reason is `normal`.
  exit_reason() = default;

  static exit_reason normal() { return {}; }
  static exit_reason shutdown(std::string detail = {}) {
    return {kind::shutdown, std::move(detail)};
  }
  static exit_reason kill() { return {kind::kill, {}}; }
  static exit_reason killed() { return {kind::killed, {}}; }
  static exit_reason noproc() { return {kind::noproc, {}}; }
  static exit_reason noconnection() { return {kind::noconnection, {}}; }
  static exit_reason timeout() { return {kind::timeout, {}}; }
  static exit_reason exception(std::string what) { return {kind::exception, std::move(what)}; }
  static exit_reason error(std::string what) { return {kind::error, std::move(what)}; }

  kind what() const noexcept { return kind_; }
  const std::string& detail() const noexcept { return detail_; }

  bool is_normal() const noexcept { return kind_ == kind::normal; }
  bool is_shutdown() const noexcept { return kind_ == kind::shutdown; }

  /// True for `normal`, `shutdown` and `{shutdown, _}`: the reasons for which OTP writes no
  /// crash report and does not restart a `transient` child.
  bool is_clean() const noexcept { return is_normal() || is_shutdown(); }

  friend bool operator==(const exit_reason&, const exit_reason&) = default;

 private:
  exit_reason(kind k, std::string detail) : kind_(k), detail_(std::move(detail)) {}

  kind kind_ = kind::normal;
  std::string detail_;
};

std::string_view to_string(exit_reason::kind k) noexcept;

/// Formats the reason the way an Erlang shell prints it: `normal`, `{shutdown,detail}`, ...
std::string to_string(const exit_reason& r);

}  // namespace otp

template <>
struct fmt::formatter<otp::exit_reason> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const otp::exit_reason& r, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(otp::to_string(r), ctx);
  }
};
