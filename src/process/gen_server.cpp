#include "otp/gen_server.hpp"
#include "otp/caf.hpp"

#include "otp/detail/atoms.hpp"
#include "process/server_core.hpp"
#include "process/start_deadline.hpp"
#include "runtime/node_access.hpp"
#include "runtime/quiet_caf_logger.hpp"

#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/send.hpp>

#include "runtime/exit_watch.hpp"

#include "runtime/caf_error.hpp"

#include <fmt/format.h>

namespace otp::detail {

server_core& calling_server(const char* what) {
  if (auto* self = server_core::current())
    return *self;
  if (process_core::current())
    throw std::logic_error(fmt::format(
      "{}: a gen_server must call it; a process started by otp::spawn makes the blocking call, "
      "which parks it",
      what));
  throw std::logic_error(fmt::format("{}: must be called from a process", what));
}

node& node_of_current() {
  auto* self = process_core::current();
  if (!self)
    throw std::logic_error("no node given and no calling process to take it from");
  return self->home();
}

server_callbacks& bind_callbacks(server_core& core, std::unique_ptr<server_callbacks> callbacks,
                                 std::string name, bool trace) {
  auto& bound = *callbacks;
  core.bind(std::move(callbacks), std::move(name), trace);
  return bound;
}

expected<pid, start_error> start_erased(node& n, start_link_mode mode, const pid& adopter,
                                        start_options opts, server_init init) {
  auto* parent = process_core::current();
  if (mode == start_link_mode::monitor && !parent)
    throw std::logic_error("gen_server::start_monitor needs a calling process");
  // Spawned lazily: the process runs only once init has returned (see server_core::started).
  auto handle = n.system().spawn<server_core, caf::lazy_init>();
  quiet_caf_logger();
  auto* core = caf::actor_cast<server_core*>(handle);
  // Hosted where its parent runs, as CAF's spawn from an actor does: its init runs on this
  // thread, which allocates its state, and the scheduler sends its first message from outside
  // (a cast from a plain thread) here, not to a worker chosen round robin (scheduler::enqueue).
  if (parent)
    core->context(parent->context());
  auto self = to_pid(handle);
  try {
    core->limit_mailbox(opts.mailbox);
  } catch (...) {
    core->abandon(exit_reason::normal());  // bad options: the process never existed
    throw;
  }
  if (!opts.name.empty()) {
    otp::pid holder;
    if (!node_access::register_name(n, opts.name, self, holder))
      return unexpected{start_error{start_error::kind::already_started, {}, holder}};
  }
  core->bound_init(opts.timeout, parent);
  init_result result = ok();
  {
    process_core::scope scope{core};
    try {
      result = init.run(init.context, *core, std::move(opts.name), opts.trace);
    } catch (const process_exit&) {
      core->abandon(exit_reason::killed());  // the calling process was killed while init waited
      throw;
    } catch (const start_timeout& e) {
      core->init_overran();
      core->abandon(exit_reason::killed());
      if (e.owner != core)
        throw;  // the deadline of an enclosing start: it gives up
      return unexpected{start_error{start_error::kind::timeout, exit_reason::timeout()}};
    } catch (const exit_request& e) {
      result = otp::stop(e.reason);  // otp::exit(Reason) in init
    } catch (const std::exception& e) {
      result = otp::stop(exit_reason::exception(e.what()));
    } catch (...) {
      result = otp::stop(exit_reason::exception("unknown"));
    }
  }
  if (core->init_overran()) {  // init computed past its deadline without waiting
    core->abandon(exit_reason::killed());
    return unexpected{start_error{start_error::kind::timeout, exit_reason::timeout()}};
  }
  if (result.what() != init_result::kind::ok) {
    core->abandon(result.what() == init_result::kind::ignore ? exit_reason::normal()
                                                             : result.reason());
    if (result.what() == init_result::kind::ignore)
      return unexpected{start_error{start_error::kind::ignore}};
    return unexpected{start_error{start_error::kind::init_failed, result.reason()}};
  }
  if (adopter) {
    // Its parent from the start, as if the supervisor had started it; linked only until the
    // supervisor adopts it (and monitors it instead), so that it cannot outlive a supervisor
    // that dies first: a link to a dead supervisor delivers the exit signal at once.
    auto handle_of_adopter = to_actor(adopter);
    core->link_to(handle_of_adopter);
    core->set_parent(handle_of_adopter.address());
  } else if (parent && mode == start_link_mode::link) {
    // A supervisor keeps its children in its own table (see server_core::mark_supervisor).
    if (auto* sup = server_core::of(parent); !sup || !sup->is_supervisor())
      parent->link_to(handle);
    core->set_parent(parent->address());
  } else if (parent && mode == start_link_mode::monitor) {
    parent->monitor(handle);
  }
  core->started(std::move(result.next()));
  return self;
}

}  // namespace otp::detail

namespace otp::gen_server {

expected<void, call_error> stop(const pid& server, exit_reason reason, timeout t) {
  if (!server)
    return unexpected{call_error{call_error::kind::noproc}};
  if (otp::actor_ptr(server)->getf(caf::abstract_actor::is_terminated_flag))
    return unexpected{call_error{call_error::kind::noproc}};
  detail::exit_watch watch{otp::to_actor(server)};
  caf::anon_send(otp::to_actor(server), detail::sys_atom::value, detail::stop_atom::value,
                 detail::to_caf_error(reason));
  bool stopped =
    detail::wait_within_start_deadline(t, [&](timeout left) { return watch.wait(left); });
  if (!stopped)
    return unexpected{call_error{call_error::kind::timeout}};
  return {};
}

}  // namespace otp::gen_server
