#pragma once

// What the code generated for a user's server (server_impl.hpp, the dispatch of its requests)
// asks of the generic loop, as functions of an incomplete `server_core`: that code then
// compiles without the loop's class, which is a CAF actor.

#include "otp/detail/exit_request.hpp"
#include "otp/detail/waiting_process.hpp"

#include <exception>
#include <memory>
#include <string>

namespace otp {
class action;
}  // namespace otp

namespace otp::detail {

class process_core;
class server_core;
class server_callbacks;
struct pending_reply;

/// The gen_server loop of a process known to be a gen_server (a connection's handler, say).
server_core& server_of(process_core& process) noexcept;
server_callbacks& callbacks_of(server_core& core) noexcept;
void count_call(server_core& core) noexcept;
void count_cast(server_core& core) noexcept;
bool tracing(const server_core& core) noexcept;
/// A deferred reply for the request being handled (OTP's `From`).
std::shared_ptr<pending_reply> make_pending_reply(server_core& core);
/// Applies a callback's action: continue (now) or arm the inactivity timeout.
void apply(server_core& core, action& next);
void stop_with(server_core& core, const exit_reason& reason);
void trace_reply(server_core& core, const std::string& reply);
void trace_new_state(server_core& core);

// A callback's exception, by kind: out of line, so that no reason is built in the frame of
// `guarded`, which sits under every wait of a callback.
[[gnu::noinline]] void crash_on(server_core& core, const exit_request& e);
[[gnu::noinline]] void crash_on(server_core& core, const std::exception& e);
[[gnu::noinline]] void crash_on_unknown(server_core& core);

/// Runs a user callback; an exception crashes the server with the exception as reason.
template <class F>
bool guarded(server_core& core, F&& f) {
  // One catch clause per kind: telling the kinds apart by rethrowing from one `catch (...)`
  // unwound the stack a second time, a microsecond more per crash.
  try {
    f();
    return true;
  } catch (const process_exit&) {
    throw;  // killed while waiting: it unwinds to the process's top
  } catch (const exit_request& e) {
    crash_on(core, e);  // otp::exit(Reason)
  } catch (const std::exception& e) {
    crash_on(core, e);
  } catch (...) {
    crash_on_unknown(core);
  }
  return false;
}

}  // namespace otp::detail
