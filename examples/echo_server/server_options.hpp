#pragma once

// The command line of the echo examples (echo_server, accept_loop), which the benchmark
// harness starts alike, and their stop on SIGINT / SIGTERM.
//
//   [--port 7000] [--threads N] [--io-threads N] [--acceptors 20] [--max-connections N]
//   [--unix PATH] [--idle-timeout SECONDS] [--smoke]

#include <otp/timeout.hpp>

#include <fmt/format.h>

#include <pthread.h>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

struct server_options {
  std::uint16_t port = 7000;
  std::size_t threads = 0;     // the node's scheduler threads (0: one per core)
  std::size_t io_threads = 0;  // 0: as many as --threads (connections run on them)
  std::size_t acceptors = 20;
  std::size_t max_connections = 19000;
  std::string unix_path;
  otp::timeout idle_timeout = std::chrono::minutes{5};  // --idle-timeout SECONDS, 0: none
  bool smoke = false;
};

inline server_options parse_options(int argc, char** argv) {
  server_options c;
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
  if (c.smoke)
    c.port = 0;
  return c;
}

/// Blocks SIGINT and SIGTERM before any thread starts, so that only `wait_for_stop` sees them.
inline sigset_t block_stop_signals() {
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  return stop_signals;
}

inline void wait_for_stop(const sigset_t& stop_signals) {
  int sig = 0;
  while (sigwait(&stop_signals, &sig) != 0) {
  }
}
