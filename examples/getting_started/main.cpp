// tally_server: the tally service until Ctrl-C or SIGTERM.
//
//   tally_server [ADDRESS]     ADDRESS: host:port (default 0.0.0.0:7070) or unix:/path

#include "service.hpp"

#include <otp/node.hpp>

#include <fmt/format.h>

#include <csignal>
#include <cstdio>

int main(int argc, char** argv) {
  auto address = otp::net::endpoint::parse(argc > 1 ? argv[1] : "0.0.0.0:7070");
  if (!address) {
    fmt::print(stderr, "tally_server: {}\n", address.error());
    return 2;
  }
  // Block the stop signals before the node starts its threads, so that only sigwait sees them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);

  otp::node node;
  auto sup = otp::supervisor::start_link<tally::service>(node, *address);
  if (!sup) {
    fmt::print(stderr, "tally_server: {}\n", sup.error());
    return 1;
  }
  fmt::print("tally listening on {}\n", otp::net::to_string(*address));
  std::fflush(stdout);
  int received = 0;
  sigwait(&stop, &received);
  (void)otp::gen_server::stop(*sup);  // the listener and its connections, then the counters
}

// Output:
//   tally listening on 0.0.0.0:7070
// and in another terminal, `nc localhost 7070`, a line typed, a line answered:
//   INCR apples
//   1
//   INCR apples
//   2
//   GET pears
//   0
//   hello
//   ERROR expected INCR <name> or GET <name>
