#pragma once

#include <string_view>

namespace otp {

/// Returns the library name and version, e.g. "caf-otp 0.1.0".
std::string_view version() noexcept;

}  // namespace otp
