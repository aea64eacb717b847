#include "otp/child_spec.hpp"
#include "otp/sup_error.hpp"
#include "otp/sup_flags.hpp"
#include "otp/supervisor.hpp"

#include <fmt/format.h>

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

std::string_view to_string(child_info::status s) noexcept {
  switch (s) {
    case child_info::status::running:
      return "running";
    case child_info::status::undefined:
      return "undefined";
    case child_info::status::restarting:
      return "restarting";
  }
  return "invalid";
}

std::string_view to_string(sup_error::kind k) noexcept {
  switch (k) {
    case sup_error::kind::already_present:
      return "already_present";
    case sup_error::kind::already_started:
      return "already_started";
    case sup_error::kind::running:
      return "running";
    case sup_error::kind::restarting:
      return "restarting";
    case sup_error::kind::not_found:
      return "not_found";
    case sup_error::kind::simple_one_for_one:
      return "simple_one_for_one";
    case sup_error::kind::start_failed:
      return "start_failed";
    case sup_error::kind::invalid_spec:
      return "invalid_spec";
    case sup_error::kind::call_failed:
      return "call_failed";
  }
  return "invalid";
}

namespace {

std::string describe(sup_error::kind k, const exit_reason& r, const pid& existing) {
  switch (k) {
    case sup_error::kind::already_started:
      return fmt::format("supervisor: {{already_started,{}}}", existing);
    case sup_error::kind::start_failed:
    case sup_error::kind::invalid_spec:
    case sup_error::kind::call_failed:
      return fmt::format("supervisor: {}: {}", to_string(k), r);
    default:
      return fmt::format("supervisor: {}", to_string(k));
  }
}

}  // namespace

sup_error::sup_error(kind k, exit_reason reason, pid existing)
  : std::runtime_error(describe(k, reason, existing)),
    kind_(k),
    reason_(std::move(reason)),
    existing_(std::move(existing)) {}

sup_error sup_error::from_call(const call_error& e) {
  auto reason = e.what_kind() == call_error::kind::exited
                  ? e.reason()
                  : exit_reason::error(std::string{to_string(e.what_kind())});
  sup_error result{kind::call_failed, std::move(reason)};
  result.call_kind_ = e.what_kind();
  return result;
}

namespace detail {

start_function::result_type bad_extra_arguments(const caf::message& extra, std::string expected) {
  return unexpected{
    start_error{start_error::kind::init_failed,
                exit_reason::error(fmt::format("{{badarg,{{extra_arguments,{},expected,[{}]}}}}",
                                               extra.size(), expected))}};
}

}  // namespace detail

}  // namespace otp
