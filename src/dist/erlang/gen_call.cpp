#include "dist/erlang/gen_call.hpp"

namespace otp::dist::erlang {

std::optional<gen_call> parse_gen_call(const term& message) {
  if (!message.is_tuple() || message.size() != 3 || !message[0].is_atom("$gen_call"))
    return std::nullopt;
  const auto& from = message[1];
  if (!from.is_tuple() || from.size() != 2)
    return std::nullopt;
  auto* pid = from[0].get_if<erlang_pid>();
  if (pid == nullptr)
    return std::nullopt;
  return gen_call{*pid, from[1], message[2]};
}

std::optional<term> net_kernel_reply(const term& request) {
  if (request.is_tuple() && request.size() == 2 && request[0].is_atom("is_auth"))
    return term::make_atom("yes");
  return std::nullopt;
}

}  // namespace otp::dist::erlang
