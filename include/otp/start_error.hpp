#pragma once

#include "otp/exit_reason.hpp"
#include "otp/pid.hpp"

#include <fmt/core.h>

#include <stdexcept>
#include <string_view>

namespace otp {

/// Why `gen_server::start` returned no server: `{error, {already_started, Pid}}`,
/// `{error, Reason}` from `init`, `ignore`, or `{error, timeout}` (init outlasted
/// `start_options::timeout`).
class start_error : public std::runtime_error {
 public:
  enum class kind { already_started, init_failed, ignore, timeout };

  start_error() : start_error(kind::ignore) {}
  explicit start_error(kind k, exit_reason reason = {}, otp::pid existing = {});

  kind what_kind() const noexcept { return kind_; }
  /// init's stop reason (or the exception it threw); `timeout` for a start that timed out.
  const exit_reason& reason() const noexcept { return reason_; }
  /// The process already registered under the name, for `already_started`.
  const otp::pid& existing() const noexcept { return existing_; }

 private:
  kind kind_;
  exit_reason reason_;
  otp::pid existing_;
};

std::string_view to_string(start_error::kind k) noexcept;

}  // namespace otp

template <>
struct fmt::formatter<otp::start_error> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const otp::start_error& e, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(e.what(), ctx);
  }
};
