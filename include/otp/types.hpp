#pragma once

namespace otp {

/// A list of message types, e.g. `using info_types = otp::types<tick, flush>;` in a server that
/// receives plain messages (sent with `otp::send` or `otp::send_after`) in `handle_info`.
template <class... Ts>
struct types {};

}  // namespace otp
