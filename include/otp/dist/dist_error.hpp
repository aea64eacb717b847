#pragma once

#include <fmt/core.h>

#include <string>
#include <string_view>

namespace otp::dist {

/// Why starting distribution, a handshake or a connection to another node failed. Every
/// refusal is logged with its kind and detail; the node itself stays up.
struct dist_error {
  enum class kind {
    bad_option,        // an option with an invalid value (named in `detail`)
    bad_name,          // a node name that is not `name@host` (or `name@host:port` for tcp)
    name_in_use,       // another live node holds this name (its creation lock file is locked)
    address_in_use,    // the listen address or socket path is taken
    not_allowed,       // wrong cookie: the peer's digest did not verify
    version_mismatch,  // the peer speaks another handshake protocol version
    tick_mismatch,     // the peers' tick times differ (a timeout would drop healthy links)
    duplicate_name,    // a connection to a node of this name exists already
    wrong_node,        // we reached a node with another name than the one we asked for
    malformed,         // a handshake frame that does not parse
    oversized,         // a handshake frame longer than the limit
    timeout,           // the handshake or the connect did not finish in time
    refused,           // the peer refused us (its reason in `detail`)
    unreachable,       // connect failed: no such node listening
    not_started,       // distribution is not running on this node
    system,            // any other system error; `detail` carries the message
  };

  enum kind what = kind::system;
  std::string detail = {};

  friend bool operator==(const dist_error& a, const dist_error& b) { return a.what == b.what; }
};

std::string_view to_string(dist_error::kind k) noexcept;
std::string to_string(const dist_error& e);

}  // namespace otp::dist

template <>
struct fmt::formatter<otp::dist::dist_error> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const otp::dist::dist_error& e, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(otp::dist::to_string(e), ctx);
  }
};
