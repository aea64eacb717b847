#pragma once

// Erlang node names as the distribution dials them: `name@host` (the port from the host's
// epmd) or, without epmd, `name@host:port`.

#include "otp/dist/dist_error.hpp"
#include "otp/expected.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace otp::dist::erlang {

struct node_address {
  std::string name;                   // "beam@host", the node's full name
  std::string alive;                  // "beam"
  std::string host;                   // "host"
  std::optional<std::uint16_t> port;  // epmd-less
};

/// This machine's short host name, as `erl -sname` takes it (up to the first '.').
std::string short_host_name();

/// `beam@host`, `beam@host:port`, or `beam` (this machine's short host name).
expected<node_address, dist_error> parse_node_address(std::string_view text);

}  // namespace otp::dist::erlang
