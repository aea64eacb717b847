#pragma once

// Test doubles for the supervisor tests: a worker that records its life in a shared journal,
// a worker that fails to start on demand, and a stubborn plain CAF actor that ignores shutdown.

#include <otp/caf.hpp>
#include <otp/gen_server.hpp>
#include <otp/process.hpp>
#include <otp/supervisor.hpp>
#include <otp/test/kit.hpp>
#include "process/server_core.hpp"

#include <caf/event_based_actor.hpp>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace sup_fixtures {

using journal = std::shared_ptr<std::vector<std::string>>;

inline journal new_journal() {
  return std::make_shared<std::vector<std::string>>();
}

struct crash {};
struct quit_normally {};
struct whoami {};

/// A worker that journals "start <id>" and "stop <id> <reason>". It traps exits, so its
/// supervisor's shutdown reaches its terminate.
class worker {
 public:
  void init(std::string id, journal j) {
    id_ = std::move(id);
    journal_ = std::move(j);
    otp::trap_exit(true);
    journal_->push_back("start " + id_);
  }
  void init(std::string id, journal j, int extra) { init(id + "#" + std::to_string(extra), j); }
  void init(std::string id, journal j, std::string extra) { init(id + "#" + extra, j); }
  std::string handle_call(const whoami&) { return id_; }
  void handle_cast(const crash&) { throw std::runtime_error("crash " + id_); }
  otp::cast_result handle_cast(const quit_normally&) {
    return otp::stop(otp::exit_reason::normal());
  }
  void terminate(const otp::exit_reason& r) {
    journal_->push_back(fmt::format("stop {} {}", id_, r));
  }

 private:
  std::string id_;
  journal journal_;
};

/// Fails to start while `failures` is positive (and counts down).
class flaky {
 public:
  otp::init_result init(std::shared_ptr<int> failures) {
    if (*failures > 0) {
      --*failures;
      return otp::stop(otp::exit_reason::error("not_yet"));
    }
    return otp::ok();
  }
  void handle_cast(const crash&) { throw std::runtime_error("flaky crash"); }
};

inline otp::child_spec worker_spec(const std::string& id, journal j,
                                   otp::restart r = otp::restart::permanent) {
  return {.id = id, .start = otp::start_with<worker>(id, j), .restart = r};
}

/// A plain CAF actor that ignores every trappable exit signal: only kill stops it.
inline otp::start_function stubborn(journal j, std::string id) {
  return otp::start_function{
    [j, id](const otp::extra_args&) -> otp::start_function::result_type {
      auto* self = otp::detail::server_core::current();
      auto child = self->home().system().spawn([j, id](caf::event_based_actor* a) -> caf::behavior {
        a->set_exit_handler([j, id](caf::exit_msg&) { j->push_back("ignored " + id); });
        return {[](int) {}};
      });
      self->link_to(child);
      return otp::to_pid(child);
    },
    "stubborn"};
}

/// The pid of the child `id`, or an empty pid.
inline otp::pid child_pid(const otp::sup_ref& sup, const std::string& id) {
  for (const auto& c : otp::supervisor::which_children(sup).value())
    if (c.id == id)
      return c.pid;
  return {};
}

inline std::vector<std::string> child_ids(const otp::sup_ref& sup) {
  std::vector<std::string> ids;
  for (const auto& c : otp::supervisor::which_children(sup).value())
    ids.push_back(c.id);
  return ids;
}

}  // namespace sup_fixtures
