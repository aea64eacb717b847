#pragma once

#include "otp/child_spec.hpp"
#include "otp/supervisor.hpp"

#include <functional>
#include <string>
#include <utility>

namespace otp::net::detail {

/// A child spec for one of the listener's simple_one_for_one supervisors (the connections',
/// the acceptors'): its children are made from `child`; `started` runs in the listener's
/// supervisor once it is up, to tell the parts that need it where it is.
inline child_spec dynamic_sup_spec(std::string id, std::string description, child_spec child,
                                   std::function<void(const sup_ref&)> started) {
  auto start = [child = std::move(child), started = std::move(started)](
                 const otp::extra_args&) -> start_function::result_type {
    auto sup = supervisor::start_link(sup_flags{.strategy = strategy::simple_one_for_one}, {child});
    if (!sup)
      return unexpected{std::move(sup.error())};
    started(*sup);
    return otp::pid{*sup};
  };
  return child_spec{
    .id = std::move(id),
    .start = start_function{std::move(start), std::move(description)},
    .restart = restart::permanent,
    .type = child_type::supervisor,
  };
}

}  // namespace otp::net::detail
