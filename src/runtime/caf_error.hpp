#pragma once

#include "otp/exit_reason.hpp"

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/exit_reason.hpp>

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

/// `e == caf::exit_reason::kill` without the `caf::error` that CAF's `operator==` makes (and
/// allocates) for the comparison: asked of every exit signal.
inline bool is_kill(const caf::error& e) noexcept {
  // code() and category() of an empty caf::error crash in 0.17: test it first.
  return e && e.category() == caf::atom("exit")
         && e.code() == static_cast<std::uint8_t>(caf::exit_reason::kill);
}

}  // namespace otp::detail
