#pragma once

// Distribution: nodes that call, cast, monitor and link across processes and machines.
//
//   otp::node_options node_opts;
//   otp::dist::options dist{.name = "alpha", .cookie = "secret"};
//   dist.types.expose<kv_server>();
//   otp::dist::configure(node_opts, dist);           // before the node starts: CAF's middleman
//   otp::node node{node_opts};
//   otp::dist::start(node, dist).value();            // listen, lock file, creation number
//   auto kv = otp::dist::whereis<kv_server>(node, "kv", "beta@localhost");  // connects
//   otp::gen_server::call(*kv, get{"key"});
//
// Our own carrier layer listens, accepts, connects and runs the handshake (command mode);
// then the socket goes to CAF's BASP broker (data mode), which serialises messages, proxies
// remote actors and carries monitors and links. See docs/distribution.md.

#include "otp/call_error.hpp"
#include "otp/dist/carrier.hpp"
#include "otp/dist/dist_error.hpp"
#include "otp/dist/events.hpp"
#include "otp/dist/options.hpp"
#include "otp/expected.hpp"
#include "otp/gen_server.hpp"
#include "otp/node.hpp"
#include "otp/pid.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace otp::dist {

/// Prepares a node's configuration for distribution: loads CAF's middleman, sets its
/// heartbeat and connection timeout from `tick_time`, registers `types`. Call it before the
/// node is constructed, with the options later given to `start`.
void configure(node_options& node_opts, const options& opts);

/// Starts distribution on a node made with `configure` (Erlang's `net_kernel:start`):
/// takes the name's lock file (bumping the creation number), listens on every carrier and
/// starts the `net_kernel` process. Errors: bad_name, bad_option, name_in_use, address_in_use.
expected<void, dist_error> start(node& n, const options& opts);

/// Disconnects every node and stops listening. The destructor of the node does it too.
void stop(node& n);

/// This node's full name (`alpha@localhost`), empty when distribution is not running.
std::string self_name(node& n);
/// This incarnation's creation number (from the lock file), 0 when not running.
std::uint32_t creation(node& n);
/// Where other nodes reach this one: `uds:/path` and `tcp:host:port` (the port when 0 was asked).
std::vector<std::string> addresses(node& n);
/// The connected nodes (Erlang's `nodes()`), sorted.
std::vector<std::string> nodes(node& n);

/// Connects to `target` unless connected (`net_kernel:connect_node`). `target` is a node name
/// (`beta` or `beta@localhost`: uds) or `beta@host:port` (tcp). Waits for the handshake.
expected<void, dist_error> connect(node& n, std::string_view target);
/// Drops the connection (`erlang:disconnect_node`); false when there was none.
bool disconnect(node& n, std::string_view node_name);

/// The calling process gets `nodedown` once when `node_name` disconnects (or at once when it
/// cannot be reached): Erlang's `monitor_node(Node, true)`. Connects if needed.
void monitor_node(std::string_view node_name, bool on = true);
/// The calling process gets `nodeup` / `nodedown` for every node (`net_kernel:monitor_nodes`).
void monitor_nodes(bool on = true);

/// The process registered as `name` on `node_name`, as seen from `n` (`{Name, Node}`);
/// connects first. Errors: noproc (no such name), or the connection's failure as `exited`
/// with reason `noconnection`.
expected<pid, call_error> whereis(node& n, std::string_view name, std::string_view node_name);

/// `whereis` for a gen_server of type `S`: its calls and casts then cross to the other node
/// (the requests must be in `S::remote_requests`, registered on both nodes).
template <class S>
expected<server_ref<S>, call_error> whereis(node& n, std::string_view name,
                                            std::string_view node_name) {
  auto found = whereis(n, name, node_name);
  if (!found)
    return unexpected{found.error()};
  return server_ref<S>{*found};
}

/// The node a pid lives on: this node's name for local processes.
std::string node_of(node& n, const pid& p);

}  // namespace otp::dist
