#include "otp/exit_reason.hpp"

#include "runtime/caf_error.hpp"

#include <caf/exit_reason.hpp>
#include <caf/message.hpp>
#include <caf/sec.hpp>

namespace otp {

std::string_view to_string(exit_reason::kind k) noexcept {
  switch (k) {
    case exit_reason::kind::normal:
      return "normal";
    case exit_reason::kind::shutdown:
      return "shutdown";
    case exit_reason::kind::kill:
      return "kill";
    case exit_reason::kind::killed:
      return "killed";
    case exit_reason::kind::noproc:
      return "noproc";
    case exit_reason::kind::noconnection:
      return "noconnection";
    case exit_reason::kind::timeout:
      return "timeout";
    case exit_reason::kind::exception:
      return "exception";
    case exit_reason::kind::error:
      return "error";
  }
  return "unknown";
}

std::string to_string(const exit_reason& r) {
  if (r.detail().empty())
    return std::string{to_string(r.what())};
  if (r.what() == exit_reason::kind::error)
    return r.detail();
  return fmt::format("{{{},{}}}", to_string(r.what()), r.detail());
}

}  // namespace otp

namespace otp::detail {

namespace {

caf::error make(otp_errc code, const std::string& detail) {
  return caf::error{static_cast<std::uint8_t>(code), otp_category, caf::make_message(detail)};
}

std::string detail_of(const caf::error& e) {
  const auto& ctx = e.context();
  if (ctx.size() == 1 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return {};
}

}  // namespace

caf::error to_caf_error(const exit_reason& r) {
  using k = exit_reason::kind;
  switch (r.what()) {
    case k::normal:
      return caf::error{};
    case k::kill:
      return caf::exit_reason::kill;
    case k::shutdown:
      if (r.detail().empty())
        return caf::exit_reason::user_shutdown;
      return make(otp_errc::shutdown, r.detail());
    case k::killed:
      return make(otp_errc::killed, r.detail());
    case k::noproc:
      return make(otp_errc::noproc, r.detail());
    case k::noconnection:
      return make(otp_errc::noconnection, r.detail());
    case k::timeout:
      return make(otp_errc::timeout, r.detail());
    case k::exception:
      return make(otp_errc::exception, r.detail());
    case k::error:
      return make(otp_errc::error, r.detail());
  }
  return make(otp_errc::error, r.detail());
}

exit_reason from_caf_error(const caf::error& e) {
  // Calling code() or category() on an empty caf::error crashes in 0.17: test it first.
  if (!e)
    return exit_reason::normal();
  if (e.category() == otp_category) {
    auto detail = detail_of(e);
    switch (static_cast<otp_errc>(e.code())) {
      case otp_errc::shutdown:
        return exit_reason::shutdown(std::move(detail));
      case otp_errc::killed:
        return exit_reason::killed();
      case otp_errc::noproc:
        return exit_reason::noproc();
      case otp_errc::noconnection:
        return exit_reason::noconnection();
      case otp_errc::timeout:
        return exit_reason::timeout();
      case otp_errc::exception:
        return exit_reason::exception(std::move(detail));
      case otp_errc::error:
        return exit_reason::error(std::move(detail));
    }
    return exit_reason::error(std::move(detail));
  }
  if (e.category() == caf::atom("exit")) {
    switch (static_cast<caf::exit_reason>(e.code())) {
      case caf::exit_reason::normal:
        return exit_reason::normal();
      case caf::exit_reason::user_shutdown:
        return exit_reason::shutdown();
      // Erlang's linked and monitoring processes see `killed`, never `kill`.
      case caf::exit_reason::kill:
        return exit_reason::killed();
      case caf::exit_reason::remote_link_unreachable:
        return exit_reason::noconnection();
      case caf::exit_reason::unhandled_exception:
        return exit_reason::exception("unknown");
      default:
        return exit_reason::error(caf::to_string(e));
    }
  }
  if (e.category() == caf::atom("system")) {
    switch (static_cast<caf::sec>(e.code())) {
      case caf::sec::request_receiver_down:
        return exit_reason::noproc();
      case caf::sec::request_timeout:
        return exit_reason::timeout();
      case caf::sec::runtime_error:
        return exit_reason::exception("unknown");
      default:
        break;
    }
  }
  return exit_reason::error(caf::to_string(e));
}

}  // namespace otp::detail
