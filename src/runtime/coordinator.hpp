#pragma once

#include "runtime/lean_clock.hpp"

#include <caf/scheduler/coordinator.hpp>

namespace otp::detail {

/// CAF's scheduler with the given policy, handing its actors a `lean_clock` in front of its
/// own clock. Installed as the actor system's scheduler module by the node.
template <class Policy>
class coordinator final : public caf::scheduler::coordinator<Policy> {
 public:
  using super = caf::scheduler::coordinator<Policy>;

  explicit coordinator(caf::actor_system& sys) : super(sys), lean_(super::clock()) {}

  lean_clock& clock() noexcept override { return lean_; }

 private:
  lean_clock lean_;
};

}  // namespace otp::detail
