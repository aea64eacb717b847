#pragma once

#include <caf/message.hpp>
#include <caf/response_promise.hpp>

#include <atomic>

namespace otp::detail {

class server_core;

/// A deferred reply (`From` in OTP). Shared by the `from<R>` the user keeps and the server, which
/// fails every reply still pending when it exits, so no caller waits for a dead server.
struct pending_reply {
  caf::response_promise promise;
  server_core* owner = nullptr;
  caf::strong_actor_ptr owner_ref;
  std::atomic<bool> done{false};

  /// True for the first caller only: a reply is delivered at most once.
  bool claim() noexcept { return !done.exchange(true, std::memory_order_acq_rel); }

  /// Sends the reply, from any thread. CAF's promise schedules the caller through the
  /// server's own scheduler thread, which is only right on that thread.
  void deliver(caf::message msg);
};

}  // namespace otp::detail
