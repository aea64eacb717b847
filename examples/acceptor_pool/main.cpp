// acceptor_pool: Erlang's classic pool of 20 acceptors, watched while clients arrive.
//
// Each acceptor is a process of the listener's acceptors' supervisor, waiting in accept. The
// one that accepts casts `accepted` to the listener's owner, hands the socket to the
// connections' supervisor (which starts the connection's process) and ends; the owner starts
// a replacement, so 20 acceptors are always waiting. The kernel hands each new connection to
// the oldest waiting accept (Asio queues them in order).

#include "../echo_server/echo.hpp"
#include "../echo_server/echo_client.hpp"

#include <otp/net/listener.hpp>
#include <otp/node.hpp>
#include <otp/supervisor.hpp>

#include <fmt/format.h>

#include <unistd.h>
#include <chrono>
#include <thread>
#include <vector>

namespace {

/// Waits (bounded) until the pool has settled: the listener has refilled it.
otp::net::listener_info settled(const otp::net::listener& l, std::size_t connections) {
  auto info = otp::net::info(l).value();
  for (int i = 0; i < 2000 && (info.connections != connections || info.free_acceptors != 20); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
    info = otp::net::info(l).value();
  }
  return info;
}

void show(const otp::net::listener& l, std::size_t connections) {
  auto info = settled(l, connections);
  auto acceptors = otp::supervisor::count_children(info.acceptors).value();
  auto handlers = otp::supervisor::count_children(info.connections_sup).value();
  fmt::print(
    "{:>4} clients | {:>2} acceptors waiting ({:>2} children of the acceptors' supervisor) | "
    "{:>4} connections ({:>4} children of the connections' supervisor) | {:>4} accepted\n",
    connections, info.free_acceptors, acceptors.active, info.connections, handlers.active,
    info.accepted);
}

}  // namespace

int main() {
  otp::node node;
  auto l = otp::net::start_listener<echo>(node, {.address = otp::net::endpoint::tcp("127.0.0.1", 0),
                                                 .num_acceptors = 20,
                                                 .idle_timeout = std::chrono::minutes{1}})
             .value();
  fmt::print("listening on {} with a pool of 20 acceptors\n\n", l.address());
  show(l, 0);
  std::vector<int> clients;
  for (std::size_t batch : {1, 4, 15, 30, 50}) {
    for (std::size_t i = 0; i < batch; ++i)
      if (int fd = echo_round_trip(l.port(), "x"); fd >= 0)
        clients.push_back(fd);  // served: its connection's process echoed
    show(l, clients.size());
  }
  fmt::print("\nclosing every client: the connections end, the 20 acceptors stay\n");
  for (int fd : clients)
    ::close(fd);
  show(l, 0);
  bool ok = otp::net::info(l).value().free_acceptors == 20 && clients.size() == 100;
  (void)otp::net::stop_listener(l);
  return ok ? 0 : 1;
}
