#pragma once

// Forward declarations of caf-otp's public types, for headers that name them without using
// them (a member `otp::pid`, a parameter `const otp::node&`, a `server_ref<S>` in a
// signature). Includes nothing, not even the standard library: `otp::timeout` (a
// std::chrono::milliseconds) is in otp/timeout.hpp.

namespace otp {

// runtime: otp/node.hpp, otp/pid.hpp, otp/exit_reason.hpp, otp/expected.hpp, otp/logger.hpp
class node;
struct node_options;
class pid;
template <class S>
class server_ref;
class exit_reason;
template <class T, class E>
class expected;
template <class E>
struct unexpected;
class logger;
struct log_event;

// processes: otp/gen_server.hpp, otp/process.hpp, otp/messages.hpp, otp/sys.hpp, otp/from.hpp
struct start_options;
struct mailbox_limit;
class call_error;
class start_error;
class mailbox_full;
struct down;
struct exit_signal;
struct timed_out;
class timer_ref;
struct server_status;
template <class R>
class from;

// supervision: otp/supervisor.hpp, otp/child_spec.hpp, otp/sup_flags.hpp, otp/sup_error.hpp
struct child_spec;
class start_function;
class extra_args;
struct sup_flags;
class sup_error;
struct tree_node;
namespace detail {
class supervisor_state;
}
/// A supervisor's pid (otp/supervisor.hpp).
using sup_ref = server_ref<detail::supervisor_state>;

// terms: otp/term.hpp
class term;
class atom;

}  // namespace otp
