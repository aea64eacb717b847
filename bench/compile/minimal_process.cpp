// A translation unit bench/compile_time.sh measures (--tu minimal_process): a plain process as a
// user writes one (spawn, send, a selective receive with an after clause), nothing else included.

#include <otp/process.hpp>

struct ping {
  otp::pid from;
};
struct pong {};

otp::pid run(otp::node& node) {
  auto echo = otp::spawn(node, [] {
    for (;;)
      otp::receive([](const ping& p) { otp::send(p.from, pong{}); });
  });
  return otp::spawn(node, [echo] {
    otp::send(echo, ping{otp::self()});
    otp::receive([](const pong&) {}, otp::after(otp::timeout{1000}));
  });
}
