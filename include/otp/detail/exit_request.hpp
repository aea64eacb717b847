#pragma once

#include "otp/exit_reason.hpp"

namespace otp::detail {

/// Thrown by `otp::exit(reason)`: the calling process ends with `reason`. A gen_server
/// callback that throws it stops the server as `stop(reason)` would (terminate runs); a plain
/// process unwinds its stack and exits. Not a `std::exception`: a `catch (...)` must rethrow it.
struct exit_request {
  exit_reason reason;
};

}  // namespace otp::detail
