// ping_pong: Erlang's plain processes in C++ — spawn, selective receive with an after clause,
// links and trapped exits — written as the Erlang would be.

#include <otp/node.hpp>
#include <otp/process.hpp>

#include <fmt/format.h>

#include <stdexcept>

using namespace std::chrono_literals;

struct ping {
  otp::pid from;
};
struct pong {
  otp::pid from;
};
struct crash {};

// Echo = spawn(fun Loop() -> receive {ping, From} -> From ! {pong, self()}, Loop() end end).
otp::pid start_echo(otp::node& node) {
  return otp::spawn(node, [] {
    for (;;)
      otp::receive([](const ping& p) { otp::send(p.from, pong{otp::self()}); },
                   [](const crash&) { throw std::runtime_error("asked to crash"); });
  });
}

int main() {
  otp::node node{{.log = otp::log_level::none}};
  auto echo = start_echo(node);
  auto done = otp::spawn(node, [echo] {
    otp::trap_exit(true);
    otp::link(echo);
    for (int i = 1; i <= 3; ++i) {
      otp::send(echo, ping{otp::self()});
      auto reply = otp::receive<pong>(1s);
      fmt::print("ping {} -> {}\n", i,
                 reply ? fmt::format("pong from {}", reply->from) : "no answer");
    }
    otp::send(echo, crash{});
    otp::receive([](const otp::exit_signal& e) { fmt::print("echo exited: {}\n", e.reason); },
                 otp::after(1s, [] { fmt::print("echo did not exit\n"); }));
  });
  otp::await_exit(done, 5s);
}

// Sample output:
//   ping 1 -> pong from <0.4.0>
//   ping 2 -> pong from <0.4.0>
//   ping 3 -> pong from <0.4.0>
//   echo exited: {exception,asked to crash}
