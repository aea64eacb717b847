#pragma once

#include "otp/call_error.hpp"
#include "otp/expected.hpp"
#include "otp/pid.hpp"
#include "otp/timeout.hpp"

#include <fmt/core.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace otp {

/// What `sys::get_status` reports about a server (OTP's `sys:get_status/1`, flattened).
struct server_status {
  otp::pid pid;
  std::string name;    ///< registered name, or empty
  std::string module;  ///< the server's C++ type
  bool suspended = false;
  bool trace = false;
  bool trap_exit = false;
  std::size_t mailbox_size = 0;
  std::uint64_t calls = 0;
  std::uint64_t casts = 0;
  std::uint64_t infos = 0;
  std::size_t mailbox_limit = 0;      ///< its `mailbox_limit::max`; 0: unbounded
  std::uint64_t mailbox_dropped = 0;  ///< messages a full mailbox dropped
  std::string state;                  ///< the state as the server formats it
};

/// Erlang's `sys` module for caf-otp servers: debugging and introspection. Each function is a
/// synchronous system message; the server answers it even while suspended.
namespace sys {

/// The server's state, rendered by its `format_state()` member or its `fmt::formatter`.
expected<std::string, call_error> get_state(const pid& server, timeout t = default_call_timeout);

expected<server_status, call_error> get_status(const pid& server, timeout t = default_call_timeout);

/// Stops handling calls, casts and infos (they stay queued) until `resume`.
expected<void, call_error> suspend(const pid& server, timeout t = default_call_timeout);
expected<void, call_error> resume(const pid& server, timeout t = default_call_timeout);

/// Logs every message in and every reply out at `debug` level (`sys:trace/2`).
expected<void, call_error> trace(const pid& server, bool on, timeout t = default_call_timeout);

}  // namespace sys

}  // namespace otp

template <>
struct fmt::formatter<otp::server_status> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const otp::server_status& s, FormatContext& ctx) const {
    return fmt::format_to(
      ctx.out(), "{{status,{},{},{},{},mailbox={},calls={},casts={},infos={},state={}}}", s.pid,
      s.name.empty() ? "-" : s.name, s.module, s.suspended ? "suspended" : "running",
      s.mailbox_size, s.calls, s.casts, s.infos, s.state);
  }
};
