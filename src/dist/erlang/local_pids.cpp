#include "dist/erlang/local_pids.hpp"
#include "otp/caf.hpp"

#include <caf/abstract_actor.hpp>
#include <caf/actor_cast.hpp>

namespace otp::dist::erlang {

erlang_pid local_pids::expose(const pid& p) {
  auto id = p.id();
  erlang_pid out{node_, static_cast<std::uint32_t>(id), static_cast<std::uint32_t>(id >> 32),
                 creation_};
  if (!p)
    return out;
  {
    std::lock_guard guard{mtx_};
    if (!exposed_.emplace(id, otp::to_actor(p).address()).second)
      return out;
  }
  // Forget it when it exits (the functor runs on the exiting process's thread).
  std::weak_ptr<local_pids> self = weak_from_this();
  otp::actor_ptr(p)->attach_functor([self, id] {
    if (auto table = self.lock()) {
      std::lock_guard guard{table->mtx_};
      table->exposed_.erase(id);
    }
  });
  return out;
}

bool local_pids::is_home(const caf::actor_control_block& p) const noexcept {
  return p.node() == home_;
}

std::optional<pid> local_pids::find(const erlang_pid& p) const {
  if (!is_ours(p))
    return std::nullopt;
  auto id = (std::uint64_t{p.serial} << 32) | p.id;
  std::lock_guard guard{mtx_};
  auto it = exposed_.find(id);
  if (it == exposed_.end())
    return std::nullopt;
  auto handle = caf::actor_cast<caf::actor>(it->second);
  if (!handle)
    return std::nullopt;
  return otp::to_pid(handle);
}

}  // namespace otp::dist::erlang
