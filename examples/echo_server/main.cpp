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

#include <otp/net/listener.hpp>
#include <otp/node.hpp>

#include <fmt/format.h>

#include <unistd.h>
#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

struct config {
  std::uint16_t port = 7000;
  std::size_t threads = 0;     // the node's scheduler threads (0: one per core)
  std::size_t io_threads = 0;  // 0: as many as --threads (connections run on them)
  std::size_t acceptors = 20;
  std::size_t max_connections = 19000;
  std::string unix_path;
  otp::timeout idle_timeout = std::chrono::minutes{5};  // --idle-timeout SECONDS, 0: none
  bool smoke = false;
};

config parse(int argc, char** argv) {
  config c;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        fmt::print(stderr, "{} needs a value\n", arg);
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--port")
      c.port = static_cast<std::uint16_t>(std::stoul(value()));
    else if (arg == "--threads")
      c.threads = std::stoul(value());
    else if (arg == "--io-threads")
      c.io_threads = std::stoul(value());
    else if (arg == "--acceptors")
      c.acceptors = std::stoul(value());
    else if (arg == "--max-connections")
      c.max_connections = std::stoul(value());
    else if (arg == "--unix")
      c.unix_path = value();
    else if (arg == "--idle-timeout") {
      auto seconds = std::stoul(value());
      c.idle_timeout = seconds == 0 ? otp::infinity : std::chrono::seconds{seconds};
    } else if (arg == "--smoke")
      c.smoke = true;
    else {
      fmt::print(stderr, "unknown option {}\n", arg);
      std::exit(2);
    }
  }
  return c;
}

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
  auto cfg = parse(argc, argv);
  if (cfg.smoke)
    cfg.port = 0;
  // Block the stop signals before any thread starts, so that only sigwait sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  if (cfg.io_threads == 0)
    cfg.io_threads = std::max<std::size_t>(cfg.threads, 1);
  otp::node node{{.threads = cfg.threads, .policy = otp::scheduler_policy::sharing}};
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
  int sig = 0;
  while (sigwait(&stop_signals, &sig) != 0) {
  }
  auto info = otp::net::info(*listener);
  if (info)
    fmt::print("stopping: {} connections accepted, {} open\n", info->accepted, info->connections);
  (void)otp::net::stop_listener(*listener);
}
