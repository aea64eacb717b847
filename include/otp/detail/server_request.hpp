#pragma once

// Calls and casts as the templates of a user's file send them: the request boxed by
// `box_maker`, with the dispatch that runs it on the server; the messages are made, sent and
// awaited in src/ (server_request.cpp).

#include "otp/call_error.hpp"
#include "otp/detail/dispatch.hpp"
#include "otp/detail/message_ref.hpp"
#include "otp/expected.hpp"
#include "otp/pid.hpp"
#include "otp/timeout.hpp"

#include <functional>

namespace otp::detail {

/// Calls `server` and waits for its reply (see `detail::request`). A request whose type the
/// server's node cannot read (not exposed to other nodes) is refused as badarg.
expected<message_ref, call_error> call_server(const pid& server, const dispatch& d,
                                              box_maker request, timeout t);

/// Casts to `server`; a cast to a dead server, or of a type its node cannot read, is dropped.
/// Throws `mailbox_full` when the server's full mailbox fails its senders.
void cast_server(const pid& server, const dispatch& d, box_maker request);

/// What runs in the calling server with a reply of `async_call_server`, or the error message
/// that stands for it; an empty one at once when the call could not be sent (no server, or a
/// type its node cannot read).
using reply_handler = std::function<void(message_ref&)>;

/// Sends the call from the gen_server running here (throws when there is none), and
/// `on_reply` runs in it with the reply.
void async_call_server(const pid& server, const dispatch& d, box_maker request, timeout t,
                       reply_handler on_reply);

/// The error a reply of `async_call_server` that is no value stands for.
call_error reply_error(message_ref& reply, const pid& server);

}  // namespace otp::detail
