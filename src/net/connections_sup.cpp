#include "net/connections_sup.hpp"

#include "net/dynamic_sup.hpp"
#include "otp/supervisor.hpp"

namespace otp::net::detail {

namespace {

/// The acceptors start the handlers themselves and the supervisor adopts them: a start_child
/// from anywhere else has no socket to give the handler.
start_function::result_type refuse_start(const otp::extra_args&) {
  return unexpected{
    start_error{start_error::kind::init_failed,
                exit_reason::error(
                  "otp::net::connection: connections are started by the listener's acceptors")}};
}

}  // namespace

child_spec connections_sup_spec(std::shared_ptr<listener_shared> shared) {
  child_spec connection{
    .id = "connection",
    .start = start_function{refuse_start, "otp::net::connection"},
    .restart = restart::temporary,
    .shutdown = shutdown_spec{shared->options.shutdown},
  };
  return dynamic_sup_spec("connections", "otp::net::connections_sup", std::move(connection),
                          [shared](const sup_ref& sup) { shared->parts.set_connections(sup); });
}

}  // namespace otp::net::detail
