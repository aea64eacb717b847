#pragma once

#include "net/listener_shared.hpp"
#include "otp/child_spec.hpp"

#include <memory>

namespace otp::net::detail {

/// The listener's last child: a simple_one_for_one supervisor of acceptors (temporary: the
/// owner replaces them; `brutal_kill`: an acceptor holds nothing but a pending accept). Once
/// started it tells the owner, which then fills the pool.
child_spec acceptors_sup_spec(std::shared_ptr<listener_shared> shared);

}  // namespace otp::net::detail
