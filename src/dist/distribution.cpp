#include "otp/dist/distribution.hpp"
#include "otp/caf.hpp"

#include "dist/basp_shutdown.hpp"
#include "dist/carrier_io.hpp"
#include "dist/creation_lock.hpp"
#include "dist/dist_report.hpp"
#include "dist/handshake.hpp"
#include "dist/net_kernel.hpp"

#include "otp/process.hpp"

#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <caf/io/middleman.hpp>

#include <fmt/format.h>

#include <unistd.h>

namespace otp::dist {

namespace {

using detail::net_kernel;

constexpr std::string_view kernel_name = "net_kernel";

std::optional<server_ref<net_kernel>> kernel_of(node& n) {
  if (auto p = n.whereis(kernel_name))
    return server_ref<net_kernel>{*p};
  return std::nullopt;
}

/// The kernel's name, creation and addresses; nothing when distribution is not running.
std::optional<detail::kernel_info> kernel_info_of(node& n) {
  auto k = kernel_of(n);
  if (!k)
    return std::nullopt;
  auto info = gen_server::try_call(*k, detail::info_request{});
  if (!info)
    return std::nullopt;
  return std::move(*info);
}

/// `beta` -> `beta@localhost`; `beta@host:port` -> (`beta@host`, host, port).
expected<detail::connect_request, dist_error> parse_target(std::string_view target) {
  detail::connect_request req;
  std::string text{target};
  if (text.find('@') == std::string::npos)
    text += "@localhost";
  auto at = text.find('@');
  auto colon = text.find(':', at);
  if (colon != std::string::npos) {
    auto host = text.substr(at + 1, colon - at - 1);
    int port = 0;
    try {
      port = std::stoi(text.substr(colon + 1));
    } catch (const std::exception&) {
      port = -1;
    }
    if (port <= 0 || port > 65535 || host.empty())
      return unexpected{dist_error{dist_error::kind::bad_name, std::string{target}}};
    req.tcp = std::pair{host, static_cast<std::uint16_t>(port)};
    text.resize(colon);
  }
  if (!detail::valid_node_name(text))
    return unexpected{dist_error{dist_error::kind::bad_name, std::string{target}}};
  req.node = std::move(text);
  return req;
}

dist_error not_started() {
  return dist_error{dist_error::kind::not_started, "call otp::dist::start first"};
}

}  // namespace

std::string default_directory() {
  return fmt::format("/tmp/caf-otp-{}", ::getuid());
}

void configure(node_options& node_opts, const options& opts) {
  node_opts.setup.push_back(
    [types = opts.types, tick = opts.tick_time](caf::actor_system_config& cfg) {
      cfg.load<caf::io::middleman>();
      // Heartbeats on every node, the timeout from the same tick time: a silent peer is dropped
      // within tick_time, a healthy idle one never (the handshake refuses differing tick times).
      cfg.set("middleman.heartbeat-interval", caf::timespan{tick / 4});
      cfg.set("middleman.connection-timeout", caf::timespan{tick});
      message_types kernel_types;
      kernel_types.expose<net_kernel>();
      kernel_types.apply(cfg);
      types.apply(cfg);
    });
  node_opts.teardown.push_back([](caf::actor_system& sys) { detail::close_basp(sys); });
}

expected<void, dist_error> start(node& n, const options& opts) {
  if (!n.system().has_middleman())
    return unexpected{
      dist_error{dist_error::kind::bad_option, "the node was not made with otp::dist::configure"}};
  if (kernel_of(n))
    return unexpected{dist_error{dist_error::kind::bad_option, "distribution is running already"}};
  auto name = opts.name.find('@') == std::string::npos ? opts.name + "@localhost" : opts.name;
  if (!detail::valid_node_name(name))
    return unexpected{dist_error{dist_error::kind::bad_name, opts.name}};
  if (opts.cookie.empty())
    return unexpected{dist_error{dist_error::kind::bad_option, "cookie: empty"}};
  if (opts.tick_time < std::chrono::milliseconds{20})
    return unexpected{
      dist_error{dist_error::kind::bad_option,
                 fmt::format("tick_time: {} ms (at least 20)", opts.tick_time.count())}};
  if (opts.carriers.empty())
    return unexpected{dist_error{dist_error::kind::bad_option, "carriers: none"}};
  if (auto dir = detail::prepare_node_dir(opts.directory); !dir)
    return unexpected{dir.error()};
  auto lock =
    detail::creation_lock::acquire(opts.directory + "/" + detail::short_name(name) + ".lock");
  if (!lock)
    return unexpected{lock.error()};

  detail::node_hello self{name, lock->creation(),
                          static_cast<std::uint32_t>(opts.tick_time.count())};
  auto table = std::make_shared<detail::peer_table>(name);
  auto carriers = std::make_shared<detail::carrier_io>(
    detail::carrier_config{self, opts.cookie, opts.handshake_timeout, opts.directory}, table);
  std::vector<std::string> addresses;
  for (const auto& c : opts.carriers) {
    auto where = carriers->listen(c);
    if (!where)
      return unexpected{where.error()};
    addresses.push_back(*where);
  }
  detail::kernel_config cfg{
    name,           self.creation,
    opts.tick_time, opts.handshake_timeout,
    addresses,      carriers,
    table,          std::make_shared<detail::creation_lock>(std::move(*lock))};
  auto kernel =
    gen_server::start<net_kernel>(n, start_options{std::string{kernel_name}}, std::move(cfg));
  if (!kernel)
    return unexpected{dist_error{dist_error::kind::system, kernel.error().what()}};
  // For the observer, until the kernel exits (net_kernel::exiting clears it).
  otp::detail::set_dist_reporter(
    n, [table, tick = opts.tick_time] { return detail::make_report(*table, tick); });
  carriers->start(*kernel);
  n.logger().log(log_level::info, "dist", "node {} (creation {}) listening on {}", name,
                 self.creation, fmt::join(addresses, ", "));
  return {};
}

void stop(node& n) {
  if (auto k = kernel_of(n))
    (void)gen_server::stop(*k, exit_reason::shutdown());
}

std::string self_name(node& n) {
  auto info = kernel_info_of(n);
  return info ? std::move(info->name) : std::string{};
}

std::uint32_t creation(node& n) {
  auto info = kernel_info_of(n);
  return info ? info->creation : 0;
}

std::vector<std::string> addresses(node& n) {
  auto info = kernel_info_of(n);
  return info ? std::move(info->addresses) : std::vector<std::string>{};
}

std::vector<std::string> nodes(node& n) {
  auto k = kernel_of(n);
  if (!k)
    return {};
  return gen_server::try_call(*k, detail::nodes_request{}).value_or(std::vector<std::string>{});
}

expected<void, dist_error> connect(node& n, std::string_view target) {
  auto k = kernel_of(n);
  if (!k)
    return unexpected{not_started()};
  auto req = parse_target(target);
  if (!req)
    return unexpected{req.error()};
  // The kernel's own handshake timeout ends the wait; the call timeout is only a backstop.
  auto result = gen_server::try_call(*k, std::move(*req), std::chrono::minutes{1});
  if (!result)
    return unexpected{dist_error{dist_error::kind::timeout, result.error().what()}};
  return *result;
}

bool disconnect(node& n, std::string_view node_name) {
  auto k = kernel_of(n);
  auto req = parse_target(node_name);
  if (!k || !req)
    return false;
  return gen_server::try_call(*k, detail::disconnect_request{req->node}).value_or(false);
}

void monitor_node(std::string_view node_name, bool on) {
  auto who = otp::self();
  auto& n = node::of(otp::to_actor(who)->home_system());
  auto k = kernel_of(n);
  auto req = parse_target(node_name);
  std::string name = req ? req->node : std::string{node_name};
  if (!k || !req) {
    if (on)
      otp::send(who, nodedown{name, exit_reason::noconnection()});
    return;
  }
  if (on && !connect(n, node_name)) {
    otp::send(who, nodedown{name, exit_reason::noconnection()});
    return;
  }
  auto watching = gen_server::try_call(*k, detail::monitor_node_request{who, name, on});
  if (on && !watching.value_or(false))
    otp::send(who, nodedown{name, exit_reason::noconnection()});
}

void monitor_nodes(bool on) {
  auto who = otp::self();
  auto& n = node::of(otp::to_actor(who)->home_system());
  if (auto k = kernel_of(n))
    (void)gen_server::try_call(*k, detail::monitor_nodes_request{who, on});
}

expected<pid, call_error> whereis(node& n, std::string_view name, std::string_view node_name) {
  auto req = parse_target(node_name);
  auto k = kernel_of(n);
  if (!req || !k || req->node == self_name(n)) {
    if (auto local = n.whereis(name))
      return *local;
    return unexpected{call_error{call_error::kind::noproc}};
  }
  auto node_str = req->node;
  if (auto up = connect(n, node_name); !up)
    return unexpected{call_error{call_error::kind::exited, exit_reason::noconnection()}};
  auto peer = gen_server::try_call(*k, detail::peer_request{node_str});
  if (!peer || !*peer)
    return unexpected{call_error{call_error::kind::exited, exit_reason::noconnection()}};
  auto found = gen_server::try_call(server_ref<net_kernel>{otp::to_pid(*peer)},
                                    detail::kernel_whereis{std::string{name}});
  if (!found)
    return unexpected{found.error()};
  if (!*found)
    return unexpected{call_error{call_error::kind::noproc}};
  return otp::to_pid(*found);
}

std::string node_of(node& n, const pid& p) {
  if (!p || otp::to_actor(p).node() == n.system().node())
    return self_name(n);
  auto k = kernel_of(n);
  if (!k)
    return {};
  // A remote process lives where its node's kernel lives.
  for (const auto& name : nodes(n)) {
    auto peer = gen_server::try_call(*k, detail::peer_request{name});
    if (peer && *peer && peer->node() == otp::to_actor(p).node())
      return name;
  }
  return {};
}

}  // namespace otp::dist
