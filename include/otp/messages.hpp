#pragma once

#include "otp/exit_reason.hpp"
#include "otp/pid.hpp"

#include <fmt/core.h>

namespace otp {

/// `{'DOWN', Ref, process, Pid, Reason}`: a monitored process exited.
struct down {
  otp::pid pid;
  exit_reason reason;
};

/// `{'EXIT', Pid, Reason}`: a linked process exited while this one traps exits.
struct exit_signal {
  otp::pid from;
  exit_reason reason;
};

/// The `timeout` message of OTP's inactivity timeout: no message arrived in time after a
/// callback returned `otp::noreply(t)`, `otp::reply(v, t)` or `otp::ok(t)`.
struct timed_out {};

}  // namespace otp

template <>
struct fmt::formatter<otp::down> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const otp::down& d, FormatContext& ctx) const {
    return fmt::format_to(ctx.out(), "{{'DOWN',{},{}}}", d.pid, d.reason);
  }
};

template <>
struct fmt::formatter<otp::exit_signal> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const otp::exit_signal& e, FormatContext& ctx) const {
    return fmt::format_to(ctx.out(), "{{'EXIT',{},{}}}", e.from, e.reason);
  }
};

template <>
struct fmt::formatter<otp::timed_out> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const otp::timed_out&, FormatContext& ctx) const {
    return fmt::format_to(ctx.out(), "timeout");
  }
};
