// The Erlang distribution's report to the observer (runtime/node_reports.hpp), as BASP's
// (dist_report.cpp): the connected nodes, bytes each way, how long connected, and when each
// peer was last heard from (the tick state). Read on the observer's thread from the table of
// connections that are up and each connection's own counters: no message to the I/O thread.

#include "dist/erlang/kernel.hpp"

namespace otp::dist::erlang {

otp::detail::dist_report distribution::impl::report() const {
  using namespace std::chrono;
  otp::detail::dist_report out{
    config_.self.name, duration_cast<milliseconds>(config_.tick_time), {}};
  auto via = opts_.carrier == options::carrier_type::uds ? "uds" : "tcp";
  auto now = steady_clock::now();
  std::shared_lock guard{ready_mtx_};
  for (const auto& [name, c] : ready_) {
    auto f = c->figures();
    out.peers.push_back(otp::detail::peer_report{
      .name = name,
      .via = via,
      .connected_for = duration_cast<milliseconds>(now - f.up_since),
      .bytes_in = f.bytes_in,
      .bytes_out = f.bytes_out,
      .last_heard = duration_cast<milliseconds>(now - std::min(now, f.last_heard))});
  }
  return out;
}

}  // namespace otp::dist::erlang
