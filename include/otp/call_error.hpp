#pragma once

#include "otp/exit_reason.hpp"

#include <fmt/core.h>

#include <stdexcept>
#include <string>
#include <string_view>

namespace otp {

/// Why a `gen_server::call` (or `stop`) failed. OTP exits the caller with
/// `{Reason, {gen_server, call, ...}}`; caf-otp throws this from `call` and returns it from
/// `try_call`.
class call_error : public std::runtime_error {
 public:
  enum class kind {
    /// No reply within the timeout (`timeout`).
    timeout,
    /// The server did not exist when called (`noproc`), or no process has that name.
    noproc,
    /// The server exited before it replied; `reason()` says why.
    exited,
    /// The server is not of the type the caller's `server_ref<S>` claims (`badarg`); or,
    /// through the pid of an Erlang node's process, a request or reply without a term form or
    /// a reply that does not convert to the reply type (`reason()`, an `error`, says which).
    badarg,
    /// A process called itself (`calling_self`).
    calling_self,
    /// The server's mailbox was full (`mailbox_limit`): the call was refused at once.
    mailbox_full,
  };

  call_error() : call_error(kind::noproc) {}
  explicit call_error(kind k, exit_reason reason = {});

  kind what_kind() const noexcept { return kind_; }
  const exit_reason& reason() const noexcept { return reason_; }

 private:
  kind kind_;
  exit_reason reason_;
};

std::string_view to_string(call_error::kind k) noexcept;

}  // namespace otp

template <>
struct fmt::formatter<otp::call_error> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const otp::call_error& e, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(e.what(), ctx);
  }
};
