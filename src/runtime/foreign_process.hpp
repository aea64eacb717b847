#pragma once

// A process of a node that speaks Erlang's distribution, as this node holds it: a CAF actor
// (the distribution's proxy, src/dist/erlang/remote_process.hpp) whose actor id has
// `foreign_id_bit` set, so that a pid can tell it from a process of ours without a cast. The
// pid's questions (id, equality, order, hash, printing) are answered from its Erlang identity,
// and a gen_server call or cast through the pid goes as its node's protocol puts it.

#include "otp/call_error.hpp"
#include "otp/detail/boxed.hpp"
#include "otp/detail/dispatch.hpp"
#include "otp/detail/message_ref.hpp"
#include "otp/expected.hpp"
#include "otp/timeout.hpp"

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

  /// `gen_server:call(Pid, Request, T)` to it (`otp::gen_server::call` on its pid): the
  /// request as its node takes it, and the reply as the message a local server's reply is
  /// (`box<R>`, `d.reply`), so that the caller reads it as any reply. A call's message would
  /// not do: its reply comes as a term, which only the caller's reply type can read.
  virtual expected<message_ref, call_error> call(const dispatch& d, box_maker request,
                                                 timeout t) = 0;
  /// `gen_server:cast(Pid, Request)`: never waits; dropped when it cannot go.
  virtual void cast(const dispatch& d, box_maker request) = 0;

 protected:
  ~foreign_process() = default;
};

/// The foreign process behind `b`, or null for a process of this node (or no block).
foreign_process* as_foreign(caf::actor_control_block* b) noexcept;

}  // namespace otp::detail
