#include "net/acceptors_sup.hpp"

#include "net/acceptor.hpp"
#include "net/dynamic_sup.hpp"
#include "net/listener_owner.hpp"
#include "otp/gen_server.hpp"
#include "otp/supervisor.hpp"

namespace otp::net::detail {

child_spec acceptors_sup_spec(std::shared_ptr<listener_shared> shared) {
  child_spec acceptor_spec{
    .id = "acceptor",
    // Named as the connections are (`otp::net::connection`), for which_children's readers.
    .start = start_function{otp::start_with<acceptor, std::size_t>(shared), "otp::net::acceptor"},
    .restart = restart::temporary,
    .shutdown = shutdown_spec{brutal_kill},
  };
  // The owner started just before (rest_for_one): it is there to be told.
  return dynamic_sup_spec("acceptors", "otp::net::acceptors_sup", std::move(acceptor_spec),
                          [shared](const sup_ref& sup) {
                            gen_server::cast(server_ref<listener_owner>{shared->parts.owner()},
                                             listener_owner::acceptors_ready{sup});
                          });
}

}  // namespace otp::net::detail
