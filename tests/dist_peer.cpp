// The other node of the distribution tests: starts distribution, registers an echo_server
// as "echo", prints "READY <address>..." and runs until its stdin closes.
//
// usage: dist_peer NAME DIRECTORY COOKIE TICK_MS CARRIERS

#include "dist_fixtures.hpp"

#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: dist_peer NAME DIRECTORY COOKIE TICK_MS CARRIERS\n");
    return 2;
  }
  otp::dist::options dist;
  dist.name = argv[1];
  dist.directory = argv[2];
  dist.cookie = argv[3];
  dist.tick_time = std::chrono::milliseconds{std::atoi(argv[4])};
  dist.carriers = otp::dist::carrier::parse(argv[5]).value();
  dist.types.expose<dist_test::echo_server>();
  otp::node_options opts;
  opts.threads = 2;
  opts.log = otp::log_level::warning;
  otp::dist::configure(opts, dist);
  otp::node node{opts};
  if (auto started = otp::dist::start(node, dist); !started) {
    std::printf("FAILED %s\n", otp::dist::to_string(started.error()).c_str());
    std::fflush(stdout);
    return 1;
  }
  auto me = fmt::format("{}/{}", otp::dist::self_name(node), otp::dist::creation(node));
  (void)otp::gen_server::start<dist_test::echo_server>(node, otp::start_options{"echo"}, me);
  std::printf("READY %s\n", fmt::format("{}", fmt::join(otp::dist::addresses(node), " ")).c_str());
  std::fflush(stdout);
  char c;
  while (::read(0, &c, 1) > 0) {
  }
  otp::dist::stop(node);
  return 0;
}
