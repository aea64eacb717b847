#pragma once

#include "otp/timeout.hpp"

#include <fmt/core.h>

#include <chrono>
#include <string_view>

namespace otp {

/// How a supervisor restarts its children when one of them terminates.
enum class strategy {
  /// Restart only the child that terminated.
  one_for_one,
  /// Terminate all other children, then restart all.
  one_for_all,
  /// Terminate the children started after it, then restart it and them.
  rest_for_one,
  /// One template child spec; children are added with `start_child(sup, extra args...)`.
  simple_one_for_one,
};

/// When significant children's exits shut the supervisor down (OTP 24's `auto_shutdown`).
enum class auto_shutdown { never, any_significant, all_significant };

/// A supervisor's flags, with OTP's defaults: one_for_one, at most 1 restart in 5 s.
struct sup_flags {
  otp::strategy strategy = otp::strategy::one_for_one;
  /// More than `intensity` restarts within `period`: the supervisor terminates all its
  /// children and exits with reason `shutdown`.
  int intensity = 1;
  otp::timeout period = std::chrono::seconds{5};
  otp::auto_shutdown auto_shutdown = otp::auto_shutdown::never;
};

std::string_view to_string(strategy s) noexcept;
std::string_view to_string(auto_shutdown a) noexcept;

}  // namespace otp

template <>
struct fmt::formatter<otp::strategy> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(otp::strategy s, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(otp::to_string(s), ctx);
  }
};

template <>
struct fmt::formatter<otp::auto_shutdown> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(otp::auto_shutdown a, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(otp::to_string(a), ctx);
  }
};

template <>
struct fmt::formatter<otp::sup_flags> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const otp::sup_flags& f, FormatContext& ctx) const {
    // OTP's period is in seconds; a period that is not whole seconds counts rounded up.
    auto seconds = std::chrono::ceil<std::chrono::seconds>(f.period).count();
    return fmt::format_to(ctx.out(),
                          "#{{strategy => {}, intensity => {}, period => {}, auto_shutdown => {}}}",
                          f.strategy, f.intensity, seconds, f.auto_shutdown);
  }
};
