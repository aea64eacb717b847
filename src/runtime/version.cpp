#include "otp/version.hpp"

// CMake passes the project version; the fallback keeps non-CMake builds compiling.
#ifndef OTP_VERSION_STRING
#define OTP_VERSION_STRING "0.0.0-unknown"
#endif

namespace otp {

std::string_view version() noexcept {
  return "caf-otp " OTP_VERSION_STRING;
}

}  // namespace otp
