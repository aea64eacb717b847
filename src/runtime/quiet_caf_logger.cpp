#include "runtime/quiet_caf_logger.hpp"

#include <caf/logger.hpp>

namespace otp::detail {

void quiet_caf_logger() noexcept {
  auto* log = caf::logger::current_logger();
  if (log != nullptr && log->verbosity() == CAF_LOG_LEVEL_QUIET)
    caf::logger::set_current_actor_system(nullptr);
}

}  // namespace otp::detail
