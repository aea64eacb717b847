#include "net/connections_sup.hpp"

#include "net/dynamic_sup.hpp"
#include "net/listener_owner.hpp"
#include "otp/detail/box.hpp"
#include "otp/gen_server.hpp"
#include "otp/supervisor.hpp"

namespace otp::net::detail {

namespace {

/// Starts one connection's handler with the socket an acceptor accepted.
start_function::result_type start_connection(const listener_shared& shared,
                                             const caf::message& extra) {
  using boxed = otp::detail::box<accepted_socket>;
  if (!extra.match_elements<boxed>())
    return otp::detail::bad_extra_arguments(extra, "otp::net::detail::accepted_socket");
  const auto& handed = extra.get_as<boxed>(0).value;
  auto started = (*shared.handler)(socket{handed.conn});
  if (!started || !*started)  // stopped, threw or ignored: the owner counted it, uncount it
    gen_server::cast(server_ref<listener_owner>{handed.owner}, listener_owner::failed_start{});
  if (!started)
    return unexpected{std::move(started.error())};
  return *started;
}

}  // namespace

child_spec connections_sup_spec(std::shared_ptr<listener_shared> shared) {
  child_spec connection{
    .id = "connection",
    .start = start_function{[shared](const caf::message& extra) {
                              return start_connection(*shared, extra);
                            },
                            "otp::net::connection"},
    .restart = restart::temporary,
    .shutdown = shutdown_spec{shared->options.shutdown},
  };
  return dynamic_sup_spec("connections", "otp::net::connections_sup", std::move(connection),
                          [shared](const sup_ref& sup) { shared->parts.set_connections(sup); });
}

}  // namespace otp::net::detail
