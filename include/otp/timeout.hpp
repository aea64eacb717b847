#pragma once

#include <chrono>

namespace otp {

/// Timeouts are milliseconds, as in OTP. `infinity` waits forever.
using timeout = std::chrono::milliseconds;

inline constexpr timeout infinity = timeout::max();

/// OTP's default for `gen_server:call/2`.
inline constexpr timeout default_call_timeout = std::chrono::seconds{5};

}  // namespace otp
