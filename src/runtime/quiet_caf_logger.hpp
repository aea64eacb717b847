#pragma once

namespace otp::detail {

/// Takes CAF's logger off the calling thread when it would log nothing.
///
/// Debian's libcaf is built with its logger compiled in at level quiet. A thread that has a
/// logger then pays, for every job a CAF worker runs, two locked updates of the logger's
/// thread -> actor table, about a tenth of a short job, to log nothing. CAF puts the logger
/// back on the thread at each spawn, so this is called after our spawns as well as when a
/// process starts running. A user who configures CAF's own logging keeps it.
void quiet_caf_logger() noexcept;

}  // namespace otp::detail
