#pragma once

// Erlang's port mapper daemon's protocol (ERTS User's Guide, "EPMD Protocol"), as plain
// functions over bytes. A node registers its name and listen port with ALIVE2_REQ on a
// connection it keeps open (epmd forgets the name when it closes) and gets its creation
// back; a node that dials another asks for its port with PORT_PLEASE2_REQ (epmd answers and
// closes). Requests are framed by a 2-byte length; answers are not.

#include "otp/dist/dist_error.hpp"
#include "otp/expected.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace otp::dist::erlang::epmd {

inline constexpr std::uint16_t default_port = 4369;
inline constexpr std::uint8_t node_type_hidden = 72;  // 'H', a C node
inline constexpr std::uint8_t node_type_normal = 77;  // 'M', an Erlang node

/// The port epmd listens on: `ERL_EPMD_PORT` if set (as erl reads it), else 4369.
std::uint16_t port_from_environment();

/// ALIVE2_REQ: register `name` (the part before '@') on `port`, versions 6..6.
std::vector<std::uint8_t> alive2_request(std::string_view name, std::uint16_t port,
                                         std::uint8_t node_type = node_type_hidden);

/// ALIVE2_X_RESP ('v', 32-bit creation) or ALIVE2_RESP ('y', 16-bit): the creation once the
/// whole answer is in `bytes`; nothing while more bytes are needed; not_allowed / malformed
/// when epmd refused (the name is taken) or said something else.
expected<std::optional<std::uint32_t>, dist_error> alive2_response(
  std::span<const std::uint8_t> bytes);

/// PORT_PLEASE2_REQ for `name`.
std::vector<std::uint8_t> port_please2_request(std::string_view name);

/// What PORT2_RESP says of a registered node.
struct node_entry {
  std::uint16_t port = 0;
  std::uint8_t node_type = 0;
  std::uint16_t highest_version = 0;
  std::uint16_t lowest_version = 0;
  std::string name;
};

/// PORT2_RESP, read whole (epmd closes after it): unreachable when the name is not
/// registered, malformed when the bytes are not an answer.
expected<node_entry, dist_error> port2_response(std::span<const std::uint8_t> bytes);

}  // namespace otp::dist::erlang::epmd
