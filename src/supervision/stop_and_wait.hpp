#pragma once

#include "otp/child_spec.hpp"
#include "otp/pid.hpp"

#include <utility>
#include <vector>

namespace otp::detail {

/// Stops children one after the other and waits for each, blocking the caller: only for a
/// supervisor whose start failed, which must stop the children it started before its start
/// returns (the process does not run yet, so it cannot wait for down messages).
void stop_and_wait(const std::vector<std::pair<pid, shutdown_spec>>& children);

}  // namespace otp::detail
