#include "otp/sup_error.hpp"

#include <fmt/format.h>

namespace otp {

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

}  // namespace otp
