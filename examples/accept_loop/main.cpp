// accept_loop: Erlang's socket_server and echo_server, line for line — a gen_server owning the
// listen socket, acceptor processes blocked in `accept`, and each connection served by
// straight-line code blocked in `read` (gen_tcp:recv). Beside examples/acceptor_pool, which
// serves the same echo with handlers that never block.
//
//   accept_loop [--port 7000] [--unix PATH] [--threads N]
//
// Prints `LISTENING <port>` when ready (the benchmark harness waits for it) and stops on
// SIGINT or SIGTERM. `--smoke` (the ctest) serves 20 clients, 5 round trips each, and exits.

#include "../echo_server/echo_client.hpp"
#include "../echo_server/server_options.hpp"
#include "echo.hpp"

#include <otp/node.hpp>

#include <fmt/format.h>

#include <unistd.h>
#include <string_view>
#include <vector>

namespace {

/// 20 clients at once, 5 round trips each: every connection has its own acceptor-turned-loop.
bool self_test(std::uint16_t port) {
  std::vector<int> clients;
  for (int i = 0; i < 20; ++i)
    if (int fd = echo_round_trip(port, fmt::format("hello {}", i)); fd >= 0)
      clients.push_back(fd);
  int echoed = static_cast<int>(clients.size());
  for (int round = 1; round < 5; ++round)
    for (int fd : clients) {
      char buf[5];
      echoed += ::write(fd, "again", 5) == 5 && ::recv(fd, buf, 5, MSG_WAITALL) == 5
                && std::string_view{buf, 5} == "again";
    }
  for (int fd : clients)
    ::close(fd);
  fmt::print("self test: {} clients, {} of 100 round trips echoed\n", clients.size(), echoed);
  return echoed == 100;
}

}  // namespace

int main(int argc, char** argv) {
  // The socket server's options (--acceptors, --idle-timeout, ...) do not apply: this server
  // keeps one acceptor and no idle timeout.
  auto cfg = parse_options(argc, argv);
  auto stop_signals = block_stop_signals();

  otp::node node{{.threads = cfg.threads}};
  auto server =
    echo_server::start(node, cfg.unix_path.empty() ? otp::net::endpoint::tcp("0.0.0.0", cfg.port)
                                                   : otp::net::endpoint::local(cfg.unix_path));
  if (!server) {
    fmt::print(stderr, "accept_loop: {}\n", server.error());
    return 1;
  }
  auto where = socket_server::address(*server);
  fmt::print("echo server listening on {}\nLISTENING {}\n", where, where.port());
  std::fflush(stdout);
  bool ok = true;
  if (cfg.smoke) {
    ok = self_test(where.port());
  } else {
    wait_for_stop(stop_signals);
  }
  (void)otp::gen_server::stop(*server);  // closes the listen socket: the acceptor returns
  return ok ? 0 : 1;
}

// Sample output (--smoke):
//   echo server listening on 0.0.0.0:41235
//   LISTENING 41235
//   self test: 20 clients, 100 of 100 round trips echoed
