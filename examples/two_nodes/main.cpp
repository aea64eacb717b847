// Two nodes on one machine: this program starts a second copy of itself as node `beta`,
// then, as node `alpha`, calls beta's counter across the link, kills beta and shows the
// nodedown. Once over a Unix socket, once over TCP.
//
//   two_nodes              run the demo (both carriers)
//   two_nodes --carrier uds|tcp
//   two_nodes --beta DIR CARRIER   (internal: be node beta)

#include "counter.hpp"

#include <otp/dist/distribution.hpp>
#include <otp/process.hpp>

#include <fmt/format.h>

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

using namespace std::chrono_literals;

namespace {

constexpr auto cookie = "two-nodes-demo";

otp::dist::options dist_options(const char* name, const std::string& dir,
                                const std::string& carrier) {
  otp::dist::options dist;
  dist.name = name;
  dist.cookie = cookie;
  dist.directory = dir;
  dist.carriers = otp::dist::carrier::parse(carrier).value();
  dist.tick_time = 2s;
  dist.types.expose<counter>();
  return dist;
}

/// Node beta: serves `counter` until killed; tells its parent where it listens.
int run_beta(const std::string& dir, const std::string& carrier) {
  auto dist = dist_options("beta", dir, carrier);
  otp::node_options opts{.threads = 2, .log = otp::log_level::warning};
  otp::dist::configure(opts, dist);
  otp::node node{opts};
  if (auto started = otp::dist::start(node, dist); !started) {
    std::printf("FAILED %s\n", otp::dist::to_string(started.error()).c_str());
    return 1;
  }
  auto me = otp::dist::self_name(node);
  (void)otp::gen_server::start<counter>(node, otp::start_options{"counter"}, me);
  std::printf("%s\n", otp::dist::addresses(node).front().c_str());
  std::fflush(stdout);
  while (true)
    std::this_thread::sleep_for(1h);
}

/// Prints nodedown (and nodeup) as they arrive: a process that monitors the nodes.
class watcher {
 public:
  using info_types = otp::types<otp::dist::nodeup, otp::dist::nodedown>;
  struct start_watching {};
  bool handle_call(const start_watching&) {
    otp::dist::monitor_nodes(true);
    return true;
  }
  void handle_info(const otp::dist::nodeup& e) { fmt::print("  alpha sees {}\n", e); }
  void handle_info(const otp::dist::nodedown& e) {
    fmt::print("  alpha sees {} after {} ms\n", e, since_kill());
    std::fflush(stdout);
  }
  static inline std::chrono::steady_clock::time_point killed_at;

 private:
  static long since_kill() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now()
                                                                 - killed_at)
      .count();
  }
};

bool demo(const std::string& carrier) {
  char pattern[] = "/tmp/two-nodes-XXXXXX";
  std::string dir = ::mkdtemp(pattern);
  fmt::print("== over {} (node directory {})\n", carrier, dir);

  int out[2];
  if (::pipe(out) != 0)
    return false;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_addclose(&fa, out[0]);
  std::string self = "/proc/self/exe";
  char* argv[] = {self.data(), const_cast<char*>("--beta"), dir.data(),
                  const_cast<char*>(carrier.c_str()), nullptr};
  pid_t beta = -1;
  ::posix_spawn(&beta, "/proc/self/exe", &fa, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(out[1]);
  std::string address;
  char c;
  while (::read(out[0], &c, 1) == 1 && c != '\n')
    address += c;
  ::close(out[0]);
  if (address.empty() || address.starts_with("FAILED")) {
    fmt::print("beta did not start: {}\n", address);
    return false;
  }
  fmt::print("  beta listens on {}\n", address);

  auto dist = dist_options("alpha", dir, carrier);
  otp::node_options opts{.threads = 2, .log = otp::log_level::warning};
  otp::dist::configure(opts, dist);
  bool ok = true;
  {
    otp::node node{opts};
    otp::dist::start(node, dist).value();
    auto w = otp::gen_server::start<watcher>(node).value();
    otp::gen_server::call(w, watcher::start_watching{});

    // uds: the name is the address; tcp: name@host:port, as there is no port mapper.
    std::string beta_name = "beta";
    if (carrier == "tcp")
      beta_name = fmt::format("beta@localhost:{}", address.substr(address.rfind(':') + 1));
    auto remote = otp::dist::whereis<counter>(node, "counter", beta_name);
    if (!remote) {
      fmt::print("  whereis failed: {}\n", remote.error().what());
      ok = false;
    } else {
      fmt::print("  alpha calls {{counter, {}}}: it runs on {}\n", beta_name,
                 otp::gen_server::call(*remote, where{}));
      for (int by : {1, 10, 100})
        fmt::print("  bump({:>3}) -> {}\n", by, otp::gen_server::call(*remote, bump{by}));
      fmt::print("  nodes() = [{}]\n", fmt::join(otp::dist::nodes(node), ", "));
      fmt::print("  kill -9 beta\n");
      watcher::killed_at = std::chrono::steady_clock::now();
      ::kill(beta, SIGKILL);
      ::waitpid(beta, nullptr, 0);
      beta = -1;
      for (int i = 0; i < 400 && !otp::dist::nodes(node).empty(); ++i)
        std::this_thread::sleep_for(5ms);
      std::this_thread::sleep_for(20ms);  // let the watcher print
      auto after = otp::gen_server::try_call(*remote, bump{1}, 1s);
      fmt::print("  a call to beta now fails at once: {}\n",
                 after ? "unexpected reply" : after.error().what());
      ok = !after && otp::dist::nodes(node).empty();
    }
  }
  if (beta > 0) {
    ::kill(beta, SIGKILL);
    ::waitpid(beta, nullptr, 0);
  }
  std::system(fmt::format("rm -rf {}", dir).c_str());
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::string carrier = "both";
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--beta" && i + 2 < argc)
      return run_beta(argv[i + 1], argv[i + 2]);
    if (arg == "--carrier" && i + 1 < argc)
      carrier = argv[++i];
    else {
      std::fprintf(stderr, "usage: two_nodes [--carrier uds|tcp]\n");
      return 2;
    }
  }
  bool ok = true;
  if (carrier == "both" || carrier == "uds")
    ok = demo("uds") && ok;
  if (carrier == "both" || carrier == "tcp")
    ok = demo("tcp") && ok;
  return ok ? 0 : 1;
}
