#include "otp/sys.hpp"
#include "otp/caf.hpp"

#include "otp/detail/atoms.hpp"
#include "otp/detail/box.hpp"
#include "process/request.hpp"

namespace otp::sys {

namespace {

expected<void, call_error> ack(const pid& server, caf::message msg, timeout t) {
  auto r = detail::request(otp::to_actor(server), std::move(msg), t);
  if (!r)
    return unexpected{std::move(r.error())};
  return {};
}

}  // namespace

expected<std::string, call_error> get_state(const pid& server, timeout t) {
  auto r =
    detail::request(otp::to_actor(server),
                    caf::make_message(detail::sys_atom::value, detail::get_state_atom::value), t);
  if (!r)
    return unexpected{std::move(r.error())};
  if (!r->match_elements<std::string>())
    return unexpected{call_error{call_error::kind::badarg}};
  return r->get_as<std::string>(0);
}

expected<server_status, call_error> get_status(const pid& server, timeout t) {
  // Urgent: answered as soon as the server is between two messages, ahead of those queued, so
  // that it counts them all (as process_info(P, message_queue_len) would).
  auto r = detail::request(
    otp::to_actor(server),
    caf::make_message(detail::sys_atom::value, detail::get_status_atom::value), t, true);
  if (!r)
    return unexpected{std::move(r.error())};
  if (!r->match_elements<detail::box<server_status>>())
    return unexpected{call_error{call_error::kind::badarg}};
  return r->get_as<detail::box<server_status>>(0).value;
}

expected<void, call_error> suspend(const pid& server, timeout t) {
  return ack(server, caf::make_message(detail::sys_atom::value, detail::suspend_atom::value), t);
}

expected<void, call_error> resume(const pid& server, timeout t) {
  return ack(server, caf::make_message(detail::sys_atom::value, detail::resume_atom::value), t);
}

expected<void, call_error> trace(const pid& server, bool on, timeout t) {
  return ack(server, caf::make_message(detail::sys_atom::value, detail::trace_atom::value, on), t);
}

}  // namespace otp::sys
