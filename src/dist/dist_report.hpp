#pragma once

// Distribution's report to the observer (runtime/node_reports.hpp): the connected nodes and
// what the kernel says of their sockets — bytes each way and the time since the peer last
// sent anything, from TCP_INFO on the net_kernel's own dup of each socket; a Unix socket has
// no such figures. Read-only: no message to the net_kernel, nothing on CAF's BASP side.

#include "dist/peer_table.hpp"

#include "runtime/node_reports.hpp"

#include <chrono>
#include <memory>

namespace otp::dist::detail {

otp::detail::dist_report make_report(const peer_table& table, std::chrono::milliseconds tick_time);

}  // namespace otp::dist::detail
