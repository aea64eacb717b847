#include "otp/supervisor.hpp"

#include "supervision/supervisor_state.hpp"

#include "supervision/adopt_child.hpp"
#include "supervision/child_exits.hpp"

namespace otp::supervisor {

namespace {

using otp::detail::supervisor_state;

template <class R, class Request>
expected<R, sup_error> ask(const sup_ref& sup, Request request, timeout t = infinity) {
  auto r = gen_server::try_call(sup, std::move(request), t);
  if (!r)
    return unexpected{sup_error::from_call(r.error())};
  return std::move(*r);
}

/// For requests whose reply is itself an `expected<R, sup_error>`: one level of errors.
template <class R, class Request>
expected<R, sup_error> ask_flat(const sup_ref& sup, Request request, timeout t = infinity) {
  auto r = ask<expected<R, sup_error>>(sup, std::move(request), t);
  if (!r)
    return unexpected{std::move(r.error())};
  return std::move(*r);
}

template <class R, class Request>
void ask_async(const sup_ref& sup, Request request, sup_reply<R> on_reply) {
  gen_server::async_call(sup, std::move(request), infinity, [f = std::move(on_reply)](auto r) {
    if (!r)
      f(unexpected{sup_error::from_call(r.error())});
    else
      f(std::move(*r));
  });
}

}  // namespace

expected<sup_ref, start_error> start_link(node& n, start_options opts, sup_flags flags,
                                          std::vector<child_spec> children) {
  return gen_server::start_link<supervisor_state>(n, std::move(opts), flags, std::move(children));
}

expected<sup_ref, start_error> start_link(node& n, sup_flags flags,
                                          std::vector<child_spec> children) {
  return gen_server::start_link<supervisor_state>(n, flags, std::move(children));
}

expected<sup_ref, start_error> start_link(start_options opts, sup_flags flags,
                                          std::vector<child_spec> children) {
  return gen_server::start_link<supervisor_state>(std::move(opts), flags, std::move(children));
}

expected<sup_ref, start_error> start_link(sup_flags flags, std::vector<child_spec> children) {
  return gen_server::start_link<supervisor_state>(flags, std::move(children));
}

start_function start_with(sup_flags flags, std::vector<child_spec> children, start_options opts) {
  auto description = fmt::format("supervisor({})", flags.strategy);
  return start_function{[flags, children = std::move(children),
                         opts](const extra_args&) -> start_function::result_type {
                          auto r = start_link(opts, flags, children);
                          if (!r)
                            return unexpected{r.error()};
                          return pid{*r};
                        },
                        std::move(description)};
}

expected<pid, sup_error> start_child(const sup_ref& sup, child_spec spec, timeout t) {
  return ask_flat<pid>(sup, otp::detail::sup_start_child{std::move(spec)}, t);
}

}  // namespace otp::supervisor

namespace otp::detail {

expected<sup_ref, start_error> start_module(node* n, start_options opts, sup_init init) {
  if (n)
    return gen_server::start_link<supervisor_state>(*n, std::move(opts), std::move(init));
  return gen_server::start_link<supervisor_state>(std::move(opts), std::move(init));
}

expected<pid, sup_error> start_dynamic_child(const sup_ref& sup, extra_args extra, timeout t) {
  auto r = gen_server::try_call(sup, sup_start_dynamic{std::move(extra)}, t);
  if (!r)
    return unexpected{sup_error::from_call(r.error())};
  if (!*r)
    return unexpected{std::move(r->error())};
  return std::move(**r);
}

void async_start_dynamic_child(const sup_ref& sup, extra_args extra,
                               std::function<void(expected<pid, sup_error>)> on_started) {
  gen_server::async_call(sup, sup_start_dynamic{std::move(extra)}, infinity,
                         [f = std::move(on_started)](expected<pid_result, call_error> r) {
                           if (!r)
                             f(unexpected{sup_error::from_call(r.error())});
                           else
                             f(std::move(*r));
                         });
}

void observe_child_exits(const sup_ref& sup, const pid& observer) {
  gen_server::cast(sup, sup_observe{observer});
}

void adopt_child(const sup_ref& sup, const pid& child) {
  gen_server::cast(sup, sup_adopt{child});
}

}  // namespace otp::detail

namespace otp::supervisor {

expected<void, sup_error> terminate_child(const sup_ref& sup, const std::string& id) {
  return ask_flat<void>(sup, otp::detail::sup_terminate_child{id});
}

expected<void, sup_error> terminate_child(const sup_ref& sup, const pid& child) {
  return ask_flat<void>(sup, otp::detail::sup_terminate_pid{child});
}

expected<pid, sup_error> restart_child(const sup_ref& sup, const std::string& id) {
  return ask_flat<pid>(sup, otp::detail::sup_restart_child{id});
}

expected<void, sup_error> delete_child(const sup_ref& sup, const std::string& id) {
  return ask_flat<void>(sup, otp::detail::sup_delete_child{id});
}

expected<child_spec, sup_error> get_childspec(const sup_ref& sup, const std::string& id) {
  return ask_flat<child_spec>(sup, otp::detail::sup_get_childspec{id});
}

expected<std::vector<child_info>, sup_error> which_children(const sup_ref& sup) {
  return ask<std::vector<child_info>>(sup, otp::detail::sup_which_children{});
}

expected<child_counts, sup_error> count_children(const sup_ref& sup) {
  return ask<child_counts>(sup, otp::detail::sup_count_children{});
}

expected<sup_flags, sup_error> get_flags(const sup_ref& sup) {
  return ask<sup_flags>(sup, otp::detail::sup_get_flags{});
}

void async_start_child(const sup_ref& sup, child_spec spec, sup_reply<pid> on_started) {
  ask_async<pid>(sup, otp::detail::sup_start_child{std::move(spec)}, std::move(on_started));
}

void async_terminate_child(const sup_ref& sup, const std::string& id, sup_reply<void> on_done) {
  ask_async<void>(sup, otp::detail::sup_terminate_child{id}, std::move(on_done));
}

void async_terminate_child(const sup_ref& sup, const pid& child, sup_reply<void> on_done) {
  ask_async<void>(sup, otp::detail::sup_terminate_pid{child}, std::move(on_done));
}

void async_restart_child(const sup_ref& sup, const std::string& id, sup_reply<pid> on_started) {
  ask_async<pid>(sup, otp::detail::sup_restart_child{id}, std::move(on_started));
}

void async_delete_child(const sup_ref& sup, const std::string& id, sup_reply<void> on_done) {
  ask_async<void>(sup, otp::detail::sup_delete_child{id}, std::move(on_done));
}

void async_get_childspec(const sup_ref& sup, const std::string& id,
                         sup_reply<child_spec> on_reply) {
  ask_async<child_spec>(sup, otp::detail::sup_get_childspec{id}, std::move(on_reply));
}

void async_which_children(const sup_ref& sup, sup_reply<std::vector<child_info>> on_reply) {
  ask_async<std::vector<child_info>>(sup, otp::detail::sup_which_children{}, std::move(on_reply));
}

void async_count_children(const sup_ref& sup, sup_reply<child_counts> on_reply) {
  ask_async<child_counts>(sup, otp::detail::sup_count_children{}, std::move(on_reply));
}

void async_get_flags(const sup_ref& sup, sup_reply<sup_flags> on_reply) {
  ask_async<sup_flags>(sup, otp::detail::sup_get_flags{}, std::move(on_reply));
}

}  // namespace otp::supervisor

namespace otp {

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

}  // namespace otp
