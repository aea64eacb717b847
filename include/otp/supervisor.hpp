#pragma once

// supervisor: OTP's supervisor behaviour over caf-otp gen_servers.
//
//   auto sup = otp::supervisor::start_link(node, {.strategy = otp::strategy::one_for_all},
//                                          {{.id = "db", .start = otp::start_with<db>(cfg)},
//                                           {.id = "api", .start = otp::start_with<api>()}});
//
// A supervisor is a process that starts its children in order, restarts them according to its
// strategy and their restart types, gives up (exits with `shutdown`) after more than
// `intensity` restarts within `period`, and stops them in reverse order. Where caf-otp is
// silent, it does what OTP's supervisor.erl does.

#include "otp/child_spec.hpp"
#include "otp/detail/type_name.hpp"
#include "otp/expected.hpp"
#include "otp/gen_server.hpp"
#include "otp/node.hpp"
#include "otp/pid.hpp"
#include "otp/start_error.hpp"
#include "otp/sup_error.hpp"
#include "otp/sup_flags.hpp"
#include "otp/timeout.hpp"

#include <fmt/core.h>
#include <fmt/format.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace otp {

namespace detail {
class supervisor_state;
}

/// A supervisor's pid.
using sup_ref = server_ref<detail::supervisor_state>;

/// What a supervisor module's `init` returns: OTP's `{ok, {SupFlags, ChildSpecs}}`.
struct sup_spec {
  sup_flags flags;
  std::vector<child_spec> children;
};

namespace detail {
/// Runs a supervisor module's `init` inside the new supervisor; `std::nullopt` is `ignore`.
using sup_init = std::function<std::optional<sup_spec>()>;
/// Starts a supervisor whose flags and children `init` makes; on the caller's node when null.
expected<sup_ref, start_error> start_module(node* n, start_options opts, sup_init init);

template <class M, class... Args>
sup_init module_init(Args... args) {
  return [args...]() mutable -> std::optional<sup_spec> {
    M module{};
    return module.init(args...);
  };
}

/// An extra argument of `start_child` as the child's start function receives it: a string
/// literal or `const char*` becomes a `std::string` (a pointer would not outlive the call, and
/// the template's `std::string` would not match it).
template <class T>
using extra_t = std::conditional_t<
  std::is_same_v<std::decay_t<T>, const char*> || std::is_same_v<std::decay_t<T>, char*>,
  std::string, std::decay_t<T>>;

expected<pid, sup_error> start_dynamic_child(const sup_ref& sup, extra_args extra, timeout t);
void async_start_dynamic_child(const sup_ref& sup, extra_args extra,
                               std::function<void(expected<pid, sup_error>)> on_started);
}  // namespace detail

/// One line of `which_children`: OTP's `{Id, Child, Type, Modules}`, plus restart counts.
struct child_info {
  enum class status { running, undefined, restarting };

  std::string id;  ///< for simple_one_for_one children: empty
  otp::pid pid;
  child_type type = child_type::worker;
  status state = status::undefined;
  otp::restart restart = otp::restart::permanent;
  bool significant = false;
  /// Times this child was restarted by its supervisor.
  unsigned restarts = 0;
  /// The start function's description (the module, in OTP's terms).
  std::string module;
};

/// OTP's `count_children/1`.
struct child_counts {
  std::size_t specs = 0;
  std::size_t active = 0;
  std::size_t supervisors = 0;
  std::size_t workers = 0;
};

std::string_view to_string(child_info::status s) noexcept;

/// OTP's `supervisor` module.
namespace supervisor {

/// Starts a supervisor and its children, in order; returns after all started. If one fails,
/// the ones already started are stopped and the error names the child and its reason:
/// `{shutdown,{failed_to_start_child,Id,Reason}}`. A bad spec is refused with the culprit:
/// `{start_spec,...}`, `{supervisor_data,...}`, ... in OTP's words (docs/supervisor.md).
expected<sup_ref, start_error> start_link(node& n, start_options opts, sup_flags flags,
                                          std::vector<child_spec> children);
expected<sup_ref, start_error> start_link(node& n, sup_flags flags,
                                          std::vector<child_spec> children);
/// From inside a process (a supervisor starting a nested supervisor, for instance).
expected<sup_ref, start_error> start_link(start_options opts, sup_flags flags,
                                          std::vector<child_spec> children);
expected<sup_ref, start_error> start_link(sup_flags flags, std::vector<child_spec> children);

/// A start function for a nested supervisor (`type = child_type::supervisor`).
start_function start_with(sup_flags flags, std::vector<child_spec> children,
                          start_options opts = {});

// -- a supervisor module: OTP's supervisor:start_link(Module, Args) --------------------------

/// OTP's `supervisor:start_link(Module, Args)`. `M` is a class whose `init(args...)` returns the
/// supervisor's flags and children (`otp::sup_spec`, OTP's `{ok, {SupFlags, ChildSpecs}}`), or
/// a `std::optional<sup_spec>` where `std::nullopt` is OTP's `ignore`. `init` runs inside the
/// new supervisor (`otp::self()` is the supervisor) each time it starts: when its parent
/// restarts it, `init` runs again, so a restarted subtree re-reads its configuration.
///
///     struct pool_sup {
///       otp::sup_spec init(int size) { return {{.strategy = otp::strategy::one_for_one},
///                                               workers(size)}; }
///     };
///     auto sup = otp::supervisor::start_link<pool_sup>(node, 4);
template <class M, class... Args>
expected<sup_ref, start_error> start_link(node& n, Args... args);
/// With start options (`{local, Name}`).
template <class M, class... Args>
expected<sup_ref, start_error> start_link(node& n, start_options opts, Args... args);
/// A start function for a child spec: `.start = supervisor::start_with<M>(args...)`, with
/// `.type = child_type::supervisor`.
template <class M, class... Args>
start_function start_with(Args... args);

/// Adds and starts a child (not for simple_one_for_one).
expected<pid, sup_error> start_child(const sup_ref& sup, child_spec spec, timeout t = infinity);

/// simple_one_for_one: starts a child with the template's arguments plus `extra` (a string
/// literal or `const char*` goes as `std::string`).
template <class... Extra>
expected<pid, sup_error> start_child(const sup_ref& sup, Extra&&... extra) {
  return otp::detail::start_dynamic_child(
    sup, extra_args::of(otp::detail::extra_t<Extra>(std::forward<Extra>(extra))...), infinity);
}

/// simple_one_for_one, without blocking the calling process (which must be a caf-otp
/// process): `on_started(expected<pid, sup_error>)` runs in it once the child has started.
/// For callers that start many children quickly, e.g. an acceptor pool.
template <class F, class... Extra>
requires(!std::is_same_v<std::decay_t<F>, child_spec>) void async_start_child(const sup_ref& sup,
                                                                              F on_started,
                                                                              Extra&&... extra) {
  otp::detail::async_start_dynamic_child(
    sup, extra_args::of(otp::detail::extra_t<Extra>(std::forward<Extra>(extra))...),
    std::move(on_started));
}

/// Stops a child by id (kept as a spec: `restart_child` starts it again) or, for
/// simple_one_for_one, by pid (removed). Waits until it has exited. As in OTP, a pid names a
/// child only under simple_one_for_one (elsewhere: `not_found`); there, a pid that has already
/// exited is `ok`, a child waiting to be restarted is forgotten, and a live pid that is not a
/// child is `not_found`.
expected<void, sup_error> terminate_child(const sup_ref& sup, const std::string& id);
expected<void, sup_error> terminate_child(const sup_ref& sup, const pid& child);

expected<pid, sup_error> restart_child(const sup_ref& sup, const std::string& id);
expected<void, sup_error> delete_child(const sup_ref& sup, const std::string& id);
expected<child_spec, sup_error> get_childspec(const sup_ref& sup, const std::string& id);
expected<std::vector<child_info>, sup_error> which_children(const sup_ref& sup);
expected<child_counts, sup_error> count_children(const sup_ref& sup);
expected<sup_flags, sup_error> get_flags(const sup_ref& sup);

// -- the same, without waiting ------------------------------------------------------------------
//
// From inside a process: the request goes out, the calling process goes on handling its
// messages, and `on_reply(expected<R, sup_error>)` runs in it when the supervisor answers (OTP's
// `gen_server:send_request` + `receive_response`, folded into a callback). For a process that
// must stay responsive while a supervisor is busy, say starting a child whose init is slow.
// Throws `std::logic_error` outside a process.

template <class R>
using sup_reply = std::function<void(expected<R, sup_error>)>;

void async_start_child(const sup_ref& sup, child_spec spec, sup_reply<pid> on_started);
void async_terminate_child(const sup_ref& sup, const std::string& id, sup_reply<void> on_done);
void async_terminate_child(const sup_ref& sup, const pid& child, sup_reply<void> on_done);
void async_restart_child(const sup_ref& sup, const std::string& id, sup_reply<pid> on_started);
void async_delete_child(const sup_ref& sup, const std::string& id, sup_reply<void> on_done);
void async_get_childspec(const sup_ref& sup, const std::string& id, sup_reply<child_spec> on_reply);
void async_which_children(const sup_ref& sup, sup_reply<std::vector<child_info>> on_reply);
void async_count_children(const sup_ref& sup, sup_reply<child_counts> on_reply);
void async_get_flags(const sup_ref& sup, sup_reply<sup_flags> on_reply);

}  // namespace supervisor

// -- start_with ------------------------------------------------------------------------------

namespace detail {

template <class S, class... Extra, class Tuple, std::size_t... Is>
start_function::result_type start_with_extra(const Tuple& args, const extra_args& extra,
                                             std::index_sequence<Is...>) {
  if constexpr (sizeof...(Extra) == 0) {
    if (!extra.empty())
      return bad_extra_arguments(extra, "none");
    auto r = gen_server::start_link<S>(std::get<Is>(args)...);
    if (!r)
      return unexpected{r.error()};
    return pid{*r};
  } else {
    if (!extra.template match<Extra...>())
      return bad_extra_arguments(
        extra, fmt::format("{}", fmt::join(std::vector<std::string>{type_name<Extra>()...}, ", ")));
    auto apply_extra = [&]<std::size_t... Js>(std::index_sequence<Js...>) {
      return gen_server::start_link<S>(std::get<Is>(args)..., extra.template get<Extra>(Js)...);
    };
    auto r = apply_extra(std::index_sequence_for<Extra...>{});
    if (!r)
      return unexpected{r.error()};
    return pid{*r};
  }
}

}  // namespace detail

template <class S, class... Extra, class... Args>
start_function start_with(Args... args) {
  auto description = detail::type_name<S>();
  return start_function{[args = std::make_tuple(std::move(args)...)](const extra_args& extra) {
                          return detail::start_with_extra<S, Extra...>(
                            args, extra, std::index_sequence_for<Args...>{});
                        },
                        std::move(description)};
}

namespace supervisor {

template <class M, class... Args>
expected<sup_ref, start_error> start_link(node& n, Args... args) {
  return start_link<M>(n, start_options{}, std::move(args)...);
}

template <class M, class... Args>
expected<sup_ref, start_error> start_link(node& n, start_options opts, Args... args) {
  return otp::detail::start_module(&n, std::move(opts), otp::detail::module_init<M>(args...));
}

template <class M, class... Args>
start_function start_with(Args... args) {
  auto init = otp::detail::module_init<M>(args...);
  return start_function{[init](const extra_args&) -> start_function::result_type {
                          auto r = otp::detail::start_module(nullptr, {}, init);
                          if (!r)
                            return unexpected{r.error()};
                          return pid{*r};
                        },
                        "supervisor(" + otp::detail::type_name<M>() + ")"};
}

}  // namespace supervisor

}  // namespace otp

template <>
struct fmt::formatter<otp::child_info::status> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(otp::child_info::status s, FormatContext& ctx) const {
    return fmt::formatter<std::string_view>::format(otp::to_string(s), ctx);
  }
};

template <>
struct fmt::formatter<otp::child_info> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const otp::child_info& c, FormatContext& ctx) const {
    if (c.state == otp::child_info::status::running)
      return fmt::format_to(ctx.out(), "{{{},{},{},[{}]}}", c.id, c.pid, c.type, c.module);
    return fmt::format_to(ctx.out(), "{{{},{},{},[{}]}}", c.id, c.state, c.type, c.module);
  }
};

template <>
struct fmt::formatter<otp::child_counts> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const otp::child_counts& c, FormatContext& ctx) const {
    return fmt::format_to(ctx.out(),
                          "[{{specs,{}}},{{active,{}}},{{supervisors,{}}},{{workers,{}}}]", c.specs,
                          c.active, c.supervisors, c.workers);
  }
};
