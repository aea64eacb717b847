#pragma once

// caf-otp and plain CAF in one program: a pid from a CAF actor handle and back. The library's
// public headers do not need CAF; a program that uses CAF itself includes this one.

#include "otp/pid.hpp"

#include <caf/actor.hpp>
#include <caf/actor_addr.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_control_block.hpp>

namespace otp {

namespace detail {

struct pid_access {
  static caf::actor_control_block* block(const pid& p) noexcept {
    return reinterpret_cast<caf::actor_control_block*>(p.handle_);
  }
  /// Takes over one strong reference to `b`.
  static pid adopt(caf::actor_control_block* b) noexcept {
    pid p;
    p.handle_ = reinterpret_cast<process_handle*>(b);
    return p;
  }
};

}  // namespace detail

/// The pid of a CAF actor (a caf-otp process, or an actor of plain CAF): from any of CAF's
/// handles (`actor`, `actor_addr`, `strong_actor_ptr`, a control block, ...); empty when a weak
/// handle's actor is gone.
template <class Handle>
pid to_pid(const Handle& handle) noexcept {
  return detail::pid_access::adopt(caf::actor_cast<caf::strong_actor_ptr>(handle).release());
}

/// The CAF handle of a process, for code that mixes caf-otp with plain CAF.
inline caf::actor to_actor(const pid& p) noexcept {
  return caf::actor_cast<caf::actor>(detail::pid_access::block(p));
}

/// The process's CAF actor, without a reference of its own: valid while `p` is.
inline caf::abstract_actor* actor_ptr(const pid& p) noexcept {
  auto* b = detail::pid_access::block(p);
  return b ? b->get() : nullptr;
}

}  // namespace otp
