#pragma once

// The process through which Erlang's gen_server calls reach the gen_servers a distribution
// serves (`distribution::serve`). The I/O thread must not wait for a reply, and a call without
// a waiting process has nobody to take the answer: this gen_server makes each call with
// `gen_server::async_call` (it never waits either) and the reply's callback sends {Tag, Reply}
// back to the Erlang caller. One per distribution, not one per call.

#include "otp/types.hpp"

#include <functional>

namespace otp::dist::erlang {

/// Work for the relay: runs in its process.
struct relay_job {
  std::function<void()> run;
};

class call_relay {
 public:
  using info_types = otp::types<relay_job>;
  void handle_info(const relay_job& job) { job.run(); }
};

}  // namespace otp::dist::erlang
