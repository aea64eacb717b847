#pragma once

// A process of a node that speaks Erlang's distribution, as this node holds it: a CAF actor
// (the distribution's proxy, src/dist/erlang/remote_process.hpp) whose actor id has
// `foreign_id_bit` set, so that a pid can tell it from a process of ours without a cast. The
// pid's questions (id, equality, order, hash, printing) are answered from its Erlang identity.

#include <caf/actor_control_block.hpp>

#include <cstdint>
#include <string_view>

namespace otp::detail {

/// Set in the actor id of every foreign process; never in one of ours (a counter from 1).
inline constexpr std::uint64_t foreign_id_bit = std::uint64_t{1} << 63;

class foreign_process {
 public:
  /// The Erlang pid: node name and creation, id and serial; `node_index` is what prints as
  /// `N` in `<N.Id.Serial>` (the node's index in this program's table, as Erlang's).
  struct identity {
    std::string_view node;
    std::uint32_t node_index = 0;
    std::uint32_t id = 0;
    std::uint32_t serial = 0;
    std::uint32_t creation = 0;
  };

  virtual const identity& foreign_identity() const noexcept = 0;

 protected:
  ~foreign_process() = default;
};

/// The foreign process behind `b`, or null for a process of this node (or no block).
foreign_process* as_foreign(caf::actor_control_block* b) noexcept;

}  // namespace otp::detail
