#include <doctest/doctest.h>

#include <otp/call_error.hpp>
#include <otp/exit_reason.hpp>
#include "runtime/caf_error.hpp"

#include <caf/exit_reason.hpp>
#include <caf/sec.hpp>

#include <fmt/format.h>

using otp::exit_reason;

TEST_CASE("exit reasons print in Erlang's notation") {
  CHECK(fmt::format("{}", exit_reason::normal()) == "normal");
  CHECK(fmt::format("{}", exit_reason::shutdown()) == "shutdown");
  CHECK(fmt::format("{}", exit_reason::shutdown("app_stopped")) == "{shutdown,app_stopped}");
  CHECK(fmt::format("{}", exit_reason::killed()) == "killed");
  CHECK(fmt::format("{}", exit_reason::noproc()) == "noproc");
  CHECK(fmt::format("{}", exit_reason::error("badarith")) == "badarith");
  CHECK(fmt::format("{}", exit_reason::exception("boom")) == "{exception,boom}");
}

TEST_CASE("normal and shutdown reasons are clean, others are not") {
  CHECK(exit_reason::normal().is_clean());
  CHECK(exit_reason::shutdown().is_clean());
  CHECK(exit_reason::shutdown("x").is_clean());
  CHECK_FALSE(exit_reason::killed().is_clean());
  CHECK_FALSE(exit_reason::error("x").is_clean());
  CHECK_FALSE(exit_reason::exception("x").is_clean());
}

TEST_CASE("every reason survives a round trip through a CAF error") {
  using otp::detail::from_caf_error;
  using otp::detail::to_caf_error;
  for (const auto& r :
       {exit_reason::normal(), exit_reason::shutdown(), exit_reason::shutdown("d"),
        exit_reason::killed(), exit_reason::noproc(), exit_reason::noconnection(),
        exit_reason::timeout(), exit_reason::exception("e"), exit_reason::error("u")})
    CHECK(from_caf_error(to_caf_error(r)) == r);
}

TEST_CASE("CAF's own exit reasons map to OTP's vocabulary") {
  using otp::detail::from_caf_error;
  CHECK(from_caf_error(caf::error{}) == exit_reason::normal());
  CHECK(from_caf_error(caf::exit_reason::kill) == exit_reason::killed());
  CHECK(from_caf_error(caf::exit_reason::user_shutdown) == exit_reason::shutdown());
  CHECK(from_caf_error(caf::exit_reason::remote_link_unreachable) == exit_reason::noconnection());
  CHECK(from_caf_error(caf::make_error(caf::sec::runtime_error)).what()
        == exit_reason::kind::exception);
  // The untrappable kill signal is sent as CAF's kill.
  CHECK(otp::detail::to_caf_error(exit_reason::kill()) == caf::make_error(caf::exit_reason::kill));
}

TEST_CASE("call errors say what failed") {
  otp::call_error timeout{otp::call_error::kind::timeout};
  CHECK(std::string{timeout.what()} == "call failed: timeout");
  otp::call_error exited{otp::call_error::kind::exited, exit_reason::error("boom")};
  CHECK(fmt::format("{}", exited) == "call failed: server exited with reason boom");
  CHECK(exited.reason() == exit_reason::error("boom"));
}

#include <otp/logger.hpp>

TEST_CASE("the logger filters by level, log_level::none silences it, and the sink is replaceable") {
  otp::logger log;
  std::vector<std::string> seen;
  log.set_sink([&](const otp::log_event& e) { seen.push_back(e.kind + ": " + e.text); });
  log.set_level(otp::log_level::warning);
  log.log(otp::log_level::info, "progress", "hidden {}", 1);
  log.log(otp::log_level::error, "crash_report", "shown {}", 2);
  log.set_level(otp::log_level::none);
  log.log(otp::log_level::error, "crash_report", "hidden {}", 3);
  CHECK(seen == std::vector<std::string>{"crash_report: shown 2"});
  CHECK_FALSE(log.enabled(otp::log_level::error));
}
