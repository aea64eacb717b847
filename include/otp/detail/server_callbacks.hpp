#pragma once

#include "otp/action.hpp"
#include "otp/exit_reason.hpp"
#include "otp/messages.hpp"

#include "otp/detail/info_view.hpp"

#include <cstddef>
#include <string>
#include <typeinfo>

namespace otp::detail {

class server_core;

/// What another thread may read of a server's module: static, never freed.
struct module_info {
  const std::type_info* type = nullptr;
  std::size_t state_bytes = 0;  ///< the callbacks object, the user's state within it
};

/// The user's server behind a virtual interface, so that the generic loop (`server_core`) is
/// compiled once and only the dispatch of a user's own callbacks is generated per server type.
class server_callbacks {
 public:
  virtual ~server_callbacks() = default;

  /// Identifies the user's type: requests built for another type are refused (`badarg`).
  virtual const void* tag() const noexcept = 0;
  virtual std::string type_name() const = 0;
  /// The user's object (`S*`), once `tag()` has been checked.
  virtual void* state() noexcept = 0;
  /// The callbacks' type and size, for the observer (its module and memory estimate).
  virtual const module_info& module() const noexcept {
    static constexpr module_info none{};
    return none;
  }

  /// Handles an info message (a timer's: the message it delivers).
  /// Returns false when the server has no clause for it.
  virtual bool handle_info(server_core& core, info_view& xs) = 0;
  virtual bool handle_down(server_core& core, down& msg) = 0;
  virtual bool handle_exit(server_core& core, exit_signal& msg) = 0;
  virtual bool handle_timeout(server_core& core) = 0;
  virtual void handle_continue(server_core& core, action& next) = 0;
  virtual void terminate(const exit_reason& reason) = 0;
  /// `special_process::defer_stop` for the special processes; false for every other server.
  virtual bool defer_stop(server_core& core, const exit_reason& reason) = 0;
  /// `special_process::exiting` for the special processes; nothing for every other server.
  virtual void exiting(server_core& core, const exit_reason& reason) = 0;
  virtual std::string format_state() const = 0;
};

/// A unique address per server type, for `server_callbacks::tag`.
template <class S>
inline constexpr char server_tag = 0;

}  // namespace otp::detail
