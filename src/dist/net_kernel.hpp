#pragma once

#include "dist/carrier_io.hpp"
#include "dist/creation_lock.hpp"
#include "dist/peer_table.hpp"

#include "otp/callback_result.hpp"
#include "otp/detail/special_process.hpp"
#include "otp/dist/dist_error.hpp"
#include "otp/dist/events.hpp"
#include "otp/expected.hpp"
#include "otp/from.hpp"
#include "otp/messages.hpp"
#include "otp/pid.hpp"
#include "otp/types.hpp"

#include <caf/actor.hpp>
#include <caf/meta/type_name.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace otp::detail {
class server_core;
}

namespace otp::dist::detail {

// -- between kernels (serialised by BASP) ------------------------------------------------

/// `{Name, Node}` resolution: the process registered as `name` on the called node.
struct kernel_whereis {
  std::string name;
};

/// Sent by the dialling kernel once BASP is connected: the accepting kernel learns the
/// dialler's kernel (to monitor it: its down is the nodedown).
struct kernel_hello {
  std::string node;
  std::uint32_t creation = 0;
  caf::actor kernel;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, kernel_whereis& x) {
  return f(caf::meta::type_name("otp_kernel_whereis"), x.name);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, kernel_hello& x) {
  return f(caf::meta::type_name("otp_kernel_hello"), x.node, x.creation, x.kernel);
}

// -- local requests ----------------------------------------------------------------------

struct connect_request {
  std::string node;  // full name
  std::optional<std::pair<std::string, std::uint16_t>> tcp;
};
struct disconnect_request {
  std::string node;
};
struct nodes_request {};
struct peer_request {
  std::string node;
};
struct monitor_node_request {
  pid who;
  std::string node;
  bool on = true;
};
struct monitor_nodes_request {
  pid who;
  bool on = true;
};
struct kernel_info {
  std::string name;
  std::uint32_t creation = 0;
  std::vector<std::string> addresses;
};
struct info_request {};

struct kernel_config {
  std::string name;
  std::uint32_t creation = 0;
  std::chrono::milliseconds tick_time{60000};
  std::chrono::milliseconds handshake_timeout{5000};
  std::vector<std::string> addresses;
  std::shared_ptr<carrier_io> carriers;
  std::shared_ptr<peer_table> table;
  std::shared_ptr<creation_lock> lock;
};

/// Erlang's net_kernel: the process that owns this node's connections. It admits and
/// dials through the carrier layer, hands finished handshakes to CAF's BASP broker, watches
/// each peer's kernel (its down is the nodedown) and tells subscribers.
class net_kernel : public otp::detail::special_process {
 public:
  using remote_requests = otp::types<kernel_whereis, kernel_hello>;
  /// Waiters of an outgoing connection the peer refused as a duplicate: the peer's own
  /// connection to us may still come up; they fail if it has not after the handshake timeout.
  struct recheck {
    std::string node;
  };
  using info_types = otp::types<handshake_result, recheck>;

  explicit net_kernel(kernel_config cfg);

  caf::actor handle_call(kernel_whereis& req);
  void handle_cast(kernel_hello& hello);

  using connect_result = expected<void, dist_error>;
  call_result<connect_result> handle_call(connect_request& req, from<connect_result> caller);
  bool handle_call(disconnect_request& req);
  std::vector<std::string> handle_call(nodes_request&);
  caf::actor handle_call(peer_request& req);
  bool handle_call(monitor_node_request& req);
  bool handle_call(monitor_nodes_request& req);
  kernel_info handle_call(info_request&);

  void handle_info(handshake_result& r);
  void handle_info(recheck& r);
  void handle_info(down& d);

  void exiting(otp::detail::server_core& core, const exit_reason& reason) override;

 private:
  struct peer {
    std::uint32_t creation = 0;
    caf::actor kernel;  // the peer's net_kernel (a proxy); empty until the link is up
    bool up = false;
    std::string via;
    std::shared_ptr<owned_fd> control;  // a dup of the socket CAF owns, to cut the link
    std::vector<from<expected<void, dist_error>>> waiters;
    std::chrono::steady_clock::time_point since;
  };

  void handed_over(handshake_result& r);
  void node_up(const std::string& name, std::uint32_t creation, caf::actor kernel);
  void node_down(std::string name, const exit_reason& reason);  // by value: callers pass map keys
  void fail_waiters(std::string name, const dist_error& e);

  kernel_config cfg_;
  std::map<std::string, peer> peers_;
  std::map<std::string, std::vector<pid>> node_monitors_;
  std::vector<pid> subscribers_;
};

}  // namespace otp::dist::detail
