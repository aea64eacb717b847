#pragma once

#include "otp/call_error.hpp"
#include "otp/exit_reason.hpp"
#include "otp/pid.hpp"

#include <fmt/core.h>

#include <stdexcept>
#include <string_view>

namespace otp {

/// Why a supervisor's dynamic-children function failed, with OTP's error terms.
class sup_error : public std::runtime_error {
 public:
  enum class kind {
    already_present,     ///< a spec with that id exists (not running)
    already_started,     ///< a child with that id runs; `existing()` is its pid
    running,             ///< delete_child / restart_child on a running child
    restarting,          ///< delete_child on a child waiting to be restarted
    not_found,           ///< no child with that id (or pid)
    simple_one_for_one,  ///< the operation does not exist for simple_one_for_one
    start_failed,        ///< the child's start function failed; `reason()` says why
    invalid_spec,        ///< start_child with a bad spec; `reason()` names the culprit
    call_failed,         ///< the supervisor could not be called; `reason()` / `call_kind()`
  };

  sup_error() : sup_error(kind::not_found) {}
  explicit sup_error(kind k, exit_reason reason = {}, pid existing = {});
  static sup_error from_call(const call_error& e);

  kind what_kind() const noexcept { return kind_; }
  const exit_reason& reason() const noexcept { return reason_; }
  const pid& existing() const noexcept { return existing_; }
  call_error::kind call_kind() const noexcept { return call_kind_; }

 private:
  kind kind_;
  exit_reason reason_;
  pid existing_;
  call_error::kind call_kind_ = call_error::kind::noproc;
};

std::string_view to_string(sup_error::kind k) noexcept;

}  // namespace otp

template <>
struct fmt::formatter<otp::sup_error> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const otp::sup_error& e, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(e.what(), ctx);
  }
};
