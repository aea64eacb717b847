#pragma once

#include <fmt/core.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace otp {

/// Severity, as in Erlang's `logger` (a subset). `none` as a level silences everything.
enum class log_level { debug, info, notice, warning, error, none };

std::string_view to_string(log_level l) noexcept;

/// One log entry. `kind` names the report (`crash_report`, `supervisor_report`, `trace`, ...);
/// `fields` carry the structured data so that a sink can filter or serialise it; `text` is the
/// human-readable rendering.
struct log_event {
  log_level level = log_level::info;
  std::string kind;
  std::string text;
  std::vector<std::pair<std::string, std::string>> fields;

  /// The value of a structured field, or an empty view.
  std::string_view field(std::string_view key) const noexcept;
};

/// A node's logger. The default sink prints to stderr; `set_sink` redirects every report,
/// e.g. into a test's capture or an application's own logging.
class logger {
 public:
  using sink = std::function<void(const log_event&)>;

  logger();

  /// Replaces the sink; an empty function restores the default (stderr).
  void set_sink(sink s);
  void set_level(log_level min) noexcept { min_level_ = min; }
  log_level level() const noexcept { return min_level_; }
  bool enabled(log_level l) const noexcept { return l >= min_level_; }

  void log(log_event e);

  /// Adds a tap: it sees every event the sink sees, after the sink, under the same lock (so
  /// it must be short and must not log). Returns its key for `remove_tap`. The observer counts
  /// supervisor reports this way without taking the sink from the application.
  std::uint64_t add_tap(sink s);
  void remove_tap(std::uint64_t key);

  template <class... Ts>
  void log(log_level l, std::string kind, fmt::format_string<Ts...> f, Ts&&... xs) {
    if (enabled(l))
      log(log_event{l, std::move(kind), fmt::format(f, std::forward<Ts>(xs)...), {}});
  }

 private:
  std::mutex mtx_;
  sink sink_;
  std::vector<std::pair<std::uint64_t, sink>> taps_;
  std::uint64_t next_tap_ = 1;
  std::atomic<log_level> min_level_{log_level::info};
};

}  // namespace otp

template <>
struct fmt::formatter<otp::log_level> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(otp::log_level l, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(otp::to_string(l), ctx);
  }
};

template <>
struct fmt::formatter<otp::log_event> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const otp::log_event& e, FormatContext& ctx) const {
    return fmt::format_to(ctx.out(), "=[{}] {} ==== {}", e.level, e.kind, e.text);
  }
};
