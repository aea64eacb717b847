#pragma once

#include "otp/exit_reason.hpp"

#include <fmt/core.h>

#include <cstdint>
#include <string>

namespace otp::dist {

/// A node connected (`{nodeup, Node}`): sent to processes that called `monitor_nodes(true)`.
struct nodeup {
  std::string node;
  std::uint32_t creation = 0;
};

/// A node disconnected (`{nodedown, Node}`): sent to `monitor_nodes` subscribers and, once,
/// to each process that called `monitor_node(node)`. `reason` is `noconnection` when the link
/// broke or the peer stopped answering ticks.
struct nodedown {
  std::string node;
  exit_reason reason;
};

}  // namespace otp::dist

template <>
struct fmt::formatter<otp::dist::nodeup> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const otp::dist::nodeup& e, FormatContext& ctx) const {
    return fmt::format_to(ctx.out(), "{{nodeup,'{}'}}", e.node);
  }
};

template <>
struct fmt::formatter<otp::dist::nodedown> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const otp::dist::nodedown& e, FormatContext& ctx) const {
    return fmt::format_to(ctx.out(), "{{nodedown,'{}',{}}}", e.node, e.reason);
  }
};
