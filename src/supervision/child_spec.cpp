#include "otp/child_spec.hpp"

#include <fmt/format.h>

namespace otp {

std::string_view to_string(restart r) noexcept {
  switch (r) {
    case restart::permanent:
      return "permanent";
    case restart::transient:
      return "transient";
    case restart::temporary:
      return "temporary";
  }
  return "invalid";
}

std::string_view to_string(child_type t) noexcept {
  switch (t) {
    case child_type::worker:
      return "worker";
    case child_type::supervisor:
      return "supervisor";
  }
  return "invalid";
}

std::string to_string(const shutdown_spec& s) {
  if (s.is_brutal_kill())
    return "brutal_kill";
  if (s.is_infinity())
    return "infinity";
  return std::to_string(s.after().count());
}

namespace detail {

start_function::result_type bad_extra_arguments(const extra_args& extra, std::string expected) {
  return unexpected{
    start_error{start_error::kind::init_failed,
                exit_reason::error(fmt::format("{{badarg,{{extra_arguments,{},expected,[{}]}}}}",
                                               extra.size(), expected))}};
}

}  // namespace detail

}  // namespace otp
