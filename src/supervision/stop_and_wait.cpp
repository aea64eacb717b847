#include "supervision/stop_and_wait.hpp"

#include "runtime/exit_watch.hpp"

#include "otp/caf.hpp"
#include "otp/process.hpp"

#include <caf/actor_system.hpp>

#include <memory>

namespace otp::detail {

void stop_and_wait(const std::vector<std::pair<pid, shutdown_spec>>& children) {
  for (const auto& [child, spec] : children) {
    exit_watch watch{otp::to_actor(child)};
    if (spec.is_brutal_kill()) {
      otp::exit(child, exit_reason::kill());
      watch.wait(infinity);
      continue;
    }
    otp::exit(child, exit_reason::shutdown());
    if (!watch.wait(spec.after())) {
      otp::exit(child, exit_reason::kill());
      watch.wait(infinity);
    }
  }
}

}  // namespace otp::detail
