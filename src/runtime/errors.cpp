#include "otp/call_error.hpp"
#include "otp/mailbox_limit.hpp"
#include "otp/start_error.hpp"

#include <fmt/format.h>

namespace otp {

std::string_view to_string(call_error::kind k) noexcept {
  switch (k) {
    case call_error::kind::timeout:
      return "timeout";
    case call_error::kind::noproc:
      return "noproc";
    case call_error::kind::exited:
      return "exited";
    case call_error::kind::badarg:
      return "badarg";
    case call_error::kind::calling_self:
      return "calling_self";
    case call_error::kind::mailbox_full:
      return "mailbox_full";
  }
  return "unknown";
}

namespace {

std::string describe(call_error::kind k, const exit_reason& r) {
  if (k == call_error::kind::exited)
    return fmt::format("call failed: server exited with reason {}", r);
  if (k == call_error::kind::badarg && r.what() == exit_reason::kind::error)
    return fmt::format("call failed: badarg: {}", r.detail());  // what did not fit, and where
  return fmt::format("call failed: {}", to_string(k));
}

std::string describe(start_error::kind k, const exit_reason& r, const pid& existing) {
  switch (k) {
    case start_error::kind::already_started:
      return fmt::format("start failed: {{already_started,{}}}", existing);
    case start_error::kind::init_failed:
      return fmt::format("start failed: {}", r);
    case start_error::kind::ignore:
      return "start ignored: init returned ignore";
    case start_error::kind::timeout:
      return "start failed: timeout (init did not return in time)";
  }
  return "start failed";
}

}  // namespace

call_error::call_error(kind k, exit_reason reason)
  : std::runtime_error(describe(k, reason)), kind_(k), reason_(std::move(reason)) {}

std::string_view to_string(start_error::kind k) noexcept {
  switch (k) {
    case start_error::kind::already_started:
      return "already_started";
    case start_error::kind::init_failed:
      return "init_failed";
    case start_error::kind::ignore:
      return "ignore";
    case start_error::kind::timeout:
      return "timeout";
  }
  return "unknown";
}

start_error::start_error(kind k, exit_reason reason, otp::pid existing)
  : std::runtime_error(describe(k, reason, existing)),
    kind_(k),
    reason_(std::move(reason)),
    existing_(std::move(existing)) {}

std::string_view to_string(overflow_policy p) noexcept {
  switch (p) {
    case overflow_policy::drop_newest:
      return "drop_newest";
    case overflow_policy::drop_oldest:
      return "drop_oldest";
    case overflow_policy::fail_sender:
      return "fail_sender";
    case overflow_policy::crash:
      return "crash";
  }
  return "unknown";
}

mailbox_full::mailbox_full(otp::pid receiver, std::size_t max)
  : std::runtime_error(fmt::format("mailbox of {} is full ({} messages)", receiver, max)),
    receiver_(std::move(receiver)),
    max_(max) {}

}  // namespace otp
