// echo_server: a socket server in Erlang's acceptor-pool design — a listener owning the listen
// socket, a pool of acceptors under a simple_one_for_one supervisor, one process per connection.
//
//   echo_server [--port 7000] [--threads N] [--io-threads N] [--acceptors 20]
//               [--max-connections N] [--unix PATH]
//
// Prints `LISTENING <port>` when ready (the benchmark harness waits for it) and stops on
// SIGINT or SIGTERM. `--smoke` echoes one message through itself and exits.

#include "echo.hpp"
#include "echo_client.hpp"
#include "server_options.hpp"

#include <otp/net/listener.hpp>
#include <otp/node.hpp>

#include <fmt/format.h>

#include <unistd.h>
#include <algorithm>

namespace {

/// One round trip through the server, with a plain blocking client.
bool self_test(std::uint16_t port) {
  int fd = echo_round_trip(port, "hello");
  if (fd >= 0)
    ::close(fd);
  fmt::print("self test: {}\n", fd >= 0 ? "echoed \"hello\"" : "FAILED");
  return fd >= 0;
}

}  // namespace

int main(int argc, char** argv) {
  auto cfg = parse_options(argc, argv);
  auto stop_signals = block_stop_signals();

  if (cfg.io_threads == 0)
    cfg.io_threads = std::max<std::size_t>(cfg.threads, 1);
  otp::node node{{.threads = cfg.threads}};
  otp::net::listener_options opts{
    .address = cfg.unix_path.empty() ? otp::net::endpoint::tcp("0.0.0.0", cfg.port)
                                     : otp::net::endpoint::local(cfg.unix_path),
    .num_acceptors = cfg.acceptors,
    .max_connections = cfg.max_connections,
    // A client that sends nothing for 5 minutes is dropped (an idle timeout costs a timer per
    // connection, about 270 bytes), and so (with a framing: raw bytes have no partial frames)
    // is one that takes over 10 s to finish a frame it began.
    .idle_timeout = cfg.idle_timeout,
    .frame_timeout = std::chrono::seconds{10},
    .io_threads = cfg.io_threads,
  };
  auto listener = otp::net::start_listener<echo>(node, opts);
  if (!listener) {
    fmt::print(stderr, "echo_server: {}\n", listener.error());
    return 1;
  }
  fmt::print("echo server listening on {}\nLISTENING {}\n", listener->address(), listener->port());
  std::fflush(stdout);
  if (cfg.smoke) {
    bool ok = self_test(listener->port());
    (void)otp::net::stop_listener(*listener);
    return ok ? 0 : 1;
  }
  wait_for_stop(stop_signals);
  auto info = otp::net::info(*listener);
  if (info)
    fmt::print("stopping: {} connections accepted, {} open\n", info->accepted, info->connections);
  (void)otp::net::stop_listener(*listener);
}
