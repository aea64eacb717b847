// The tally's state: named counters in a gen_server. Each request is a struct; what
// handle_call returns is the reply.
#pragma once

#include <otp/gen_server.hpp>
#include <otp/supervisor.hpp>

#include <cstdint>
#include <map>
#include <string>

namespace tally {

struct incr {  // adds one to a counter; replies with its new value
  std::string name;
};
struct get {  // replies with a counter's value, 0 if it never counted
  std::string name;
};

class counters {
 public:
  std::int64_t handle_call(const incr& r) { return ++counts_[r.name]; }

  std::int64_t handle_call(const get& r) {
    auto i = counts_.find(r.name);
    return i == counts_.end() ? 0 : i->second;
  }

 private:
  std::map<std::string, std::int64_t> counts_;
};

/// The counters as a supervisor's child, registered under the name "counters".
inline otp::child_spec counters_child() {
  return {.id = "counters",
          .start = otp::start_with<counters>(otp::start_options{.name = "counters"})};
}

}  // namespace tally
