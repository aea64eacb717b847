#pragma once

// A gen_server call as Erlang's gen module puts it on the wire, {'$gen_call', {From, Tag},
// Request}, and its reply, {Tag, Reply} sent to From. Since OTP 24 the tag is
// [alias | Ref] (gen:call monitors with {alias, demonitor}); the reply goes to the pid, whose
// receive matches on the tag, so a plain send to From is enough.

#include "otp/term.hpp"

#include <optional>

namespace otp::dist::erlang {

struct gen_call {
  erlang_pid from;
  term tag;
  term request;
};

/// The call in `message`, if it is one.
std::optional<gen_call> parse_gen_call(const term& message);

/// What this node's net_kernel answers, as Erlang's would: `{is_auth, Node}` -> `yes` (what
/// net_adm:ping/1 asks). Nothing for other requests, which then go unanswered.
std::optional<term> net_kernel_reply(const term& request);

}  // namespace otp::dist::erlang
