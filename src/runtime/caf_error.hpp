#pragma once

#include "otp/exit_reason.hpp"

#include <caf/atom.hpp>
#include <caf/error.hpp>

#include <cstdint>

namespace otp::detail {

/// The codes of caf-otp's own CAF error category, so that an `exit_reason` survives a trip
/// through CAF's `exit_msg` / `down_msg` / response errors unchanged.
enum class otp_errc : std::uint8_t {
  shutdown = 1,
  killed,
  noproc,
  noconnection,
  timeout,
  exception,
  error,
};

inline constexpr caf::atom_value otp_category = caf::atom("otp");

caf::error to_caf_error(const exit_reason& r);
exit_reason from_caf_error(const caf::error& e);

}  // namespace otp::detail
