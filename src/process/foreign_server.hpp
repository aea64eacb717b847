#pragma once

// A gen_server of a node that speaks its own protocol, as this node holds it (a process of an
// Erlang node: src/dist/erlang/remote_process.hpp): `otp::gen_server::call` and `cast`
// through its pid go as that protocol puts them on the wire, not as a CAF request. Its reply
// comes back as that protocol's value (a term), which only the caller's reply type can read,
// so the call itself, not a message, is what it takes.

#include "otp/call_error.hpp"
#include "otp/detail/boxed.hpp"
#include "otp/detail/dispatch.hpp"
#include "otp/detail/message_ref.hpp"
#include "otp/expected.hpp"
#include "otp/timeout.hpp"
#include "runtime/foreign_process.hpp"

#include <caf/abstract_actor.hpp>

namespace otp::detail {

class foreign_server {
 public:
  /// `gen_server:call(Pid, Request, T)`: the reply as the message a local server's reply is
  /// (`box<R>`, `d.reply`), so that the caller reads it as any reply.
  virtual expected<message_ref, call_error> call(const dispatch& d, box_maker request,
                                                 timeout t) = 0;
  /// `gen_server:cast(Pid, Request)`: never waits; dropped when it cannot go.
  virtual void cast(const dispatch& d, box_maker request) = 0;

 protected:
  ~foreign_server() = default;
};

/// The foreign server behind `a`, or null for a process of this node (a local pid costs the
/// id bit's test only).
inline foreign_server* as_foreign_server(caf::abstract_actor* a) noexcept {
  if (a == nullptr || (a->id() & foreign_id_bit) == 0)
    return nullptr;
  return dynamic_cast<foreign_server*>(a);
}

}  // namespace otp::detail
