#pragma once

#include "otp/dist/dist_error.hpp"
#include "otp/expected.hpp"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace otp::dist {

/// How a node listens for other nodes (Erlang's `-proto_dist`): Unix domain stream sockets
/// in the node's directory, or TCP. A node may listen on several carriers at once.
struct carrier {
  enum class kind { uds, tcp };

  kind what = kind::uds;
  std::string address;     // tcp: the address to bind (default 127.0.0.1)
  std::uint16_t port = 0;  // tcp: 0 picks an ephemeral port (see `dist::addresses`)

  static carrier uds() { return carrier{}; }
  static carrier tcp(std::string address = "127.0.0.1", std::uint16_t port = 0) {
    return carrier{kind::tcp, std::move(address), port};
  }

  /// Parses a comma-separated list: `"uds"`, `"tcp"`, `"tcp:0.0.0.0:4370"`, `"uds,tcp"`.
  static expected<std::vector<carrier>, dist_error> parse(std::string_view text);
};

std::string to_string(const carrier& c);

}  // namespace otp::dist
