#pragma once

// The observer's actions on a process: kill, suspend, resume. Only reached when
// `observer_options::actions` is on (routes.cpp refuses them otherwise).

#include "otp/node.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace otp::observer::detail {

struct action_result {
  unsigned status = 200;
  std::string body;  ///< JSON
};

/// `kill`: `exit(Pid, kill)`, which cannot be trapped. `suspend`, `resume`: `sys::suspend`,
/// `sys::resume`, synchronous (bounded by `ask_timeout`), so a plain process, which answers
/// no system messages, gets an error back.
action_result act(node& n, std::uint64_t id, std::string_view action);

}  // namespace otp::observer::detail
