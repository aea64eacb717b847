#pragma once

namespace caf {
class actor_system;
}

namespace otp::dist::detail {

/// Terminates CAF's BASP broker and closes its mailbox, on the multiplexer thread, before
/// the actor system stops.
///
/// CAF 0.17.6 stops its middleman while the actor system's own actors (the config and spawn
/// servers) are still exiting, and a broker's cleanup leaves its mailbox open. The BASP broker
/// monitors every local actor it has shipped to a peer, the config server among them (each
/// new connection asks for it), so a down message can reach the broker after the multiplexer
/// thread has gone: the broker, its scribes and the middleman are then never freed. A closed
/// mailbox drops such late messages instead.
void close_basp(caf::actor_system& sys);

}  // namespace otp::dist::detail
