#include "otp/sup_flags.hpp"

namespace otp {

std::string_view to_string(strategy s) noexcept {
  switch (s) {
    case strategy::one_for_one:
      return "one_for_one";
    case strategy::one_for_all:
      return "one_for_all";
    case strategy::rest_for_one:
      return "rest_for_one";
    case strategy::simple_one_for_one:
      return "simple_one_for_one";
  }
  return "invalid";
}

std::string_view to_string(auto_shutdown a) noexcept {
  switch (a) {
    case auto_shutdown::never:
      return "never";
    case auto_shutdown::any_significant:
      return "any_significant";
    case auto_shutdown::all_significant:
      return "all_significant";
  }
  return "invalid";
}

}  // namespace otp
