#pragma once

#include "otp/detail/type_name.hpp"
#include "otp/expected.hpp"
#include "otp/pid.hpp"
#include "otp/start_error.hpp"
#include "otp/timeout.hpp"

#include <fmt/core.h>

#include <any>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <typeinfo>
#include <utility>
#include <vector>

namespace otp {

/// When a terminated child is restarted.
enum class restart {
  /// Always.
  permanent,
  /// Only after an abnormal exit (not `normal`, `shutdown` or `{shutdown, _}`).
  transient,
  /// Never, not even when a sibling's failure takes it down; its spec is then removed.
  temporary,
};

enum class child_type { worker, supervisor };

struct brutal_kill_t {};

/// `shutdown => brutal_kill`: the child is killed at once.
inline constexpr brutal_kill_t brutal_kill{};

/// How a child is stopped: `brutal_kill`, a timeout (exit(shutdown), then kill), or
/// `otp::infinity` (exit(shutdown), then wait).
class shutdown_spec {
 public:
  shutdown_spec(brutal_kill_t) noexcept : brutal_(true) {}
  /// Any duration (`5s`, `1500ms`); `otp::infinity` waits for ever.
  template <class Rep, class Period>
  shutdown_spec(std::chrono::duration<Rep, Period> t) noexcept
    : timeout_(std::chrono::duration_cast<timeout>(t)) {}

  bool is_brutal_kill() const noexcept { return brutal_; }
  bool is_infinity() const noexcept { return !brutal_ && timeout_ == infinity; }
  timeout after() const noexcept { return timeout_; }

 private:
  bool brutal_ = false;
  timeout timeout_{0};
};

/// The extra arguments of a `simple_one_for_one` supervisor's `start_child`, as its children's
/// start function receives them: values in order, each of the type `start_child` passed.
class extra_args {
 public:
  extra_args() = default;

  template <class... Ts>
  static extra_args of(Ts&&... xs) {
    extra_args a;
    a.values_.reserve(sizeof...(Ts));
    (a.values_.emplace_back(std::forward<Ts>(xs)), ...);
    return a;
  }

  std::size_t size() const noexcept { return values_.size(); }
  bool empty() const noexcept { return values_.empty(); }

  /// True when the arguments are exactly values of `Ts...`, in order.
  template <class... Ts>
  bool match() const noexcept {
    if (values_.size() != sizeof...(Ts))
      return false;
    std::size_t i = 0;
    return ((values_[i++].type() == typeid(Ts)) && ...);
  }

  /// The `i`th argument; `match` said it is a `T`.
  template <class T>
  const T& get(std::size_t i) const {
    return *std::any_cast<T>(&values_.at(i));
  }

 private:
  std::vector<std::any> values_;
};

/// How a child starts: OTP's `{M, F, A}`. Called by the supervisor, inside the supervisor's
/// process, so that `gen_server::start_link` links the child to it. For `simple_one_for_one`
/// the supervisor passes the extra arguments of `start_child`.
class start_function {
 public:
  using result_type = expected<pid, start_error>;
  using function_type = std::function<result_type(const extra_args& extra)>;

  start_function() = default;
  start_function(function_type f, std::string description)
    : fn_(std::move(f)), description_(std::move(description)) {}

  /// Any callable returning `expected<pid, start_error>` or `start_result<S>`.
  template <class F, class = std::enable_if_t<std::is_invocable_v<F&>>>
  start_function(F f) : description_("fun") {
    fn_ = [f = std::move(f)](const extra_args&) mutable -> result_type {
      auto r = f();
      if (!r)
        return unexpected{r.error()};
      return pid{*r};
    };
  }

  result_type operator()(const extra_args& extra = {}) const { return fn_(extra); }
  explicit operator bool() const noexcept { return static_cast<bool>(fn_); }
  /// For reports: the started type and its arguments' types.
  const std::string& description() const noexcept { return description_; }

 private:
  function_type fn_;
  std::string description_;
};

namespace detail {

template <class S, class... Extra, class Tuple, std::size_t... Is>
start_function::result_type start_with_extra(const Tuple& args, const extra_args& extra,
                                             std::index_sequence<Is...>);

start_function::result_type bad_extra_arguments(const extra_args& extra, std::string expected);

}  // namespace detail

/// A start function that calls `gen_server::start_link<S>(args..., extra...)`, where `extra`
/// are the arguments a `simple_one_for_one` supervisor's `start_child` appends: name their
/// types explicitly, `otp::start_with<S, int>(...)`, and pass them to `start_child` in order.
/// Defined in `otp/supervisor.hpp`.
template <class S, class... Extra, class... Args>
start_function start_with(Args... args);

/// A child specification: OTP's child spec map, as a plain value.
struct child_spec {
  std::string id = {};
  start_function start = {};
  otp::restart restart = otp::restart::permanent;
  /// Default: 5 s for workers, `otp::infinity` for supervisors.
  std::optional<shutdown_spec> shutdown = std::nullopt;
  child_type type = child_type::worker;
  /// With `auto_shutdown`: this child's exit may shut the supervisor down.
  bool significant = false;

  shutdown_spec effective_shutdown() const {
    if (shutdown)
      return *shutdown;
    return type == child_type::supervisor ? shutdown_spec{infinity} : shutdown_spec{timeout{5000}};
  }
};

std::string_view to_string(restart r) noexcept;
std::string_view to_string(child_type t) noexcept;
std::string to_string(const shutdown_spec& s);

}  // namespace otp

template <>
struct fmt::formatter<otp::restart> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(otp::restart r, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(otp::to_string(r), ctx);
  }
};

template <>
struct fmt::formatter<otp::child_type> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(otp::child_type t, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(otp::to_string(t), ctx);
  }
};

template <>
struct fmt::formatter<otp::shutdown_spec> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const otp::shutdown_spec& s, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(otp::to_string(s), ctx);
  }
};

template <>
struct fmt::formatter<otp::child_spec> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const otp::child_spec& c, FormatContext& ctx) const {
    return fmt::format_to(ctx.out(),
                          "#{{id => {}, start => {}, restart => {}, shutdown => {}, type => {}, "
                          "significant => {}}}",
                          c.id, c.start.description(), c.restart, c.effective_shutdown(), c.type,
                          c.significant);
  }
};
