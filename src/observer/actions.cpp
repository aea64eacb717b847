#include "observer/actions.hpp"

#include "observer/views.hpp"

#include "otp/observer/process_list.hpp"
#include "otp/process.hpp"
#include "otp/sys.hpp"

#include <fmt/format.h>

namespace otp::observer::detail {

namespace {

action_result done(std::string_view action, const pid& who) {
  return {200, fmt::format("{{\"ok\": true, \"action\": \"{}\", \"pid\": \"{}\"}}\n", action, who)};
}

action_result failed(unsigned status, std::string_view why) {
  return {status, fmt::format("{{\"error\": \"{}\"}}\n", why)};
}

action_result answer_of(std::string_view action, const pid& who,
                        const expected<void, call_error>& r) {
  if (r)
    return done(action, who);
  return failed(409, fmt::format("{} failed: {}", action, to_string(r.error().what_kind())));
}

}  // namespace

action_result act(node& n, std::uint64_t id, std::string_view action) {
  if (action != "kill" && action != "suspend" && action != "resume")
    return failed(404, "unknown action: kill, suspend or resume");
  auto who = find_process(n, id);
  if (!who)
    return failed(404, "no such process");
  if (action == "kill") {
    otp::exit(*who, exit_reason::kill());
    return done(action, *who);
  }
  if (action == "suspend")
    return answer_of(action, *who, sys::suspend(*who, ask_timeout));
  return answer_of(action, *who, sys::resume(*who, ask_timeout));
}

}  // namespace otp::observer::detail
