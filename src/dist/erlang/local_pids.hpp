#pragma once

// The processes of this node as other nodes see them. A caf-otp pid becomes an Erlang pid
// of this node (id: the low 32 bits of the actor id, serial: the high 32, our creation) the
// first time it is handed out; a SEND to such a pid finds the process again. Only pids handed
// out can be addressed, and an entry goes when its process exits. Thread-safe: processes
// hand out pids, the I/O thread looks them up.

#include "otp/pid.hpp"
#include "otp/term.hpp"

#include <caf/actor_addr.hpp>
#include <caf/actor_control_block.hpp>
#include <caf/node_id.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace otp::dist::erlang {

class local_pids : public std::enable_shared_from_this<local_pids> {
 public:
  local_pids(atom node, std::uint32_t creation, caf::node_id home)
    : node_(std::move(node)), creation_(creation), home_(std::move(home)) {}

  /// `p` as an Erlang pid; remembered until `p` exits.
  erlang_pid expose(const pid& p);
  /// The Erlang pid of our process of actor id `id`, without remembering it (takes no lock:
  /// callable under an actor's).
  erlang_pid erlang_of(std::uint64_t id) const {
    return erlang_pid{node_, static_cast<std::uint32_t>(id), static_cast<std::uint32_t>(id >> 32),
                      creation_};
  }
  /// Whether `p` is an actor of this node (not another node's proxy).
  bool is_home(const caf::actor_control_block& p) const noexcept;
  /// The process behind an Erlang pid of ours, if it was handed out and still runs.
  std::optional<pid> find(const erlang_pid& p) const;
  /// A pid of this node that is no process (the sender of messages sent from a plain thread).
  erlang_pid null_pid() const { return erlang_pid{node_, 0, 0, creation_}; }
  bool is_ours(const erlang_pid& p) const noexcept {
    return p.node == node_ && p.creation == creation_;
  }

 private:
  atom node_;
  std::uint32_t creation_;
  caf::node_id home_;
  mutable std::mutex mtx_;
  std::unordered_map<std::uint64_t, caf::actor_addr> exposed_;
};

}  // namespace otp::dist::erlang
