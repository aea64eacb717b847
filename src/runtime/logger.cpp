#include "otp/logger.hpp"

#include <fmt/format.h>

#include <cstdio>

namespace otp {

std::string_view to_string(log_level l) noexcept {
  switch (l) {
    case log_level::debug:
      return "debug";
    case log_level::info:
      return "info";
    case log_level::notice:
      return "notice";
    case log_level::warning:
      return "warning";
    case log_level::error:
      return "error";
    case log_level::none:
      return "none";
  }
  return "unknown";
}

std::string_view log_event::field(std::string_view key) const noexcept {
  for (const auto& [k, v] : fields)
    if (k == key)
      return v;
  return {};
}

namespace {

void print_to_stderr(const log_event& e) {
  fmt::print(stderr, "{}\n", e);
}

}  // namespace

logger::logger() : sink_(print_to_stderr) {}

void logger::set_sink(sink s) {
  std::lock_guard guard{mtx_};
  sink_ = s ? std::move(s) : sink{print_to_stderr};
}

void logger::log(log_event e) {
  if (!enabled(e.level))
    return;
  // One lock around the sink: reports from different processes never interleave.
  std::lock_guard guard{mtx_};
  sink_(e);
  for (const auto& tap : taps_)
    tap.second(e);
}

std::uint64_t logger::add_tap(sink s) {
  std::lock_guard guard{mtx_};
  taps_.emplace_back(next_tap_, std::move(s));
  return next_tap_++;
}

void logger::remove_tap(std::uint64_t key) {
  std::lock_guard guard{mtx_};
  std::erase_if(taps_, [key](const auto& tap) { return tap.first == key; });
}

}  // namespace otp
