#include "otp/gen_server.hpp"
#include "otp/caf.hpp"

#include "runtime/exit_watch.hpp"

#include "runtime/caf_error.hpp"

#include <fmt/format.h>

namespace otp::detail {

server_core& calling_server(const char* what) {
  if (auto* self = server_core::current())
    return *self;
  if (process_core::current())
    throw std::logic_error(fmt::format(
      "{}: a gen_server must call it; a process started by otp::spawn makes the blocking call, "
      "which parks it",
      what));
  throw std::logic_error(fmt::format("{}: must be called from a process", what));
}

node& node_of_current() {
  auto* self = process_core::current();
  if (!self)
    throw std::logic_error("no node given and no calling process to take it from");
  return self->home();
}

}  // namespace otp::detail

namespace otp::gen_server {

expected<void, call_error> stop(const pid& server, exit_reason reason, timeout t) {
  if (!server)
    return unexpected{call_error{call_error::kind::noproc}};
  if (otp::actor_ptr(server)->getf(caf::abstract_actor::is_terminated_flag))
    return unexpected{call_error{call_error::kind::noproc}};
  detail::exit_watch watch{otp::to_actor(server)};
  caf::anon_send(otp::to_actor(server), detail::sys_atom::value, detail::stop_atom::value,
                 detail::to_caf_error(reason));
  bool stopped =
    detail::wait_within_start_deadline(t, [&](timeout left) { return watch.wait(left); });
  if (!stopped)
    return unexpected{call_error{call_error::kind::timeout}};
  return {};
}

}  // namespace otp::gen_server
