#include "dist/dist_report.hpp"

#include "dist/carrier_io.hpp"

#include <linux/tcp.h>  // struct tcp_info with its byte counts (glibc's lacks them)
#include <netinet/in.h>
#include <sys/socket.h>

namespace otp::dist::detail {

namespace {

void read_tcp_info(int fd, otp::detail::peer_report& out) {
  tcp_info info{};
  socklen_t size = sizeof info;
  if (::getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &size) != 0)
    return;
  // Older kernels fill less: only what they filled counts.
  auto filled = [size](auto member_end) { return size >= member_end; };
  if (filled(offsetof(tcp_info, tcpi_bytes_received) + sizeof info.tcpi_bytes_received)) {
    out.bytes_in = info.tcpi_bytes_received;
    out.bytes_out = info.tcpi_bytes_acked;
  }
  out.last_heard = std::chrono::milliseconds{info.tcpi_last_data_recv};
}

}  // namespace

otp::detail::dist_report make_report(const peer_table& table, std::chrono::milliseconds tick_time) {
  otp::detail::dist_report report{table.self(), tick_time, {}};
  auto now = std::chrono::steady_clock::now();
  for (const auto& [name, link] : table.links()) {
    otp::detail::peer_report peer{
      .name = name,
      .via = link.via,
      .connected_for = std::chrono::duration_cast<std::chrono::milliseconds>(now - link.since)};
    if (link.via == "tcp" && link.control && link.control->get() >= 0)
      read_tcp_info(link.control->get(), peer);
    report.peers.push_back(std::move(peer));
  }
  return report;
}

}  // namespace otp::dist::detail
