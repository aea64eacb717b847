#pragma once

// Small single-purpose servers shared by the gen_server tests.

#include <otp/gen_server.hpp>
#include <otp/process.hpp>

#include <fmt/format.h>

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace fixtures {

struct get {};
struct add {
  int n;
};
struct crash {};
struct stop_now {
  otp::exit_reason reason;
};
struct tick {};

struct get_answer {};
struct release_all {};
struct how_many {};

/// Answers no `get_answer` until `release_all` (then 42 to every caller, and how many it
/// answered); `how_many` tells how many wait.
struct answer_later {
  std::vector<otp::from<int>> waiting;
  otp::call_result<int> handle_call(const get_answer&, otp::from<int> caller) {
    waiting.push_back(std::move(caller));
    return otp::noreply();
  }
  std::size_t handle_call(const release_all&) {
    for (auto& w : waiting)
      w.reply(42);
    auto n = waiting.size();
    waiting.clear();
    return n;
  }
  std::size_t handle_call(const how_many&) { return waiting.size(); }
};

/// A counter: call, cast, info, terminate; records what happened in a shared log.
class counter {
 public:
  using info_types = otp::types<tick>;

  void init(int start, std::shared_ptr<std::vector<std::string>> log) {
    value_ = start;
    log_ = std::move(log);
  }

  int handle_call(const get&) { return value_; }
  int handle_call(const add& a) { return value_ += a.n; }
  int handle_call(const crash&) { throw std::runtime_error("boom"); }
  otp::call_result<int> handle_call(const stop_now& s) { return otp::stop(s.reason, value_); }

  void handle_cast(const add& a) { value_ += a.n; }
  void handle_cast(const crash&) { throw std::runtime_error("cast boom"); }

  void handle_info(const tick&) {
    ++ticks_;
    value_ += 100;
  }

  void terminate(const otp::exit_reason& r) {
    if (log_)
      log_->push_back(fmt::format("terminate {}", r));
  }

  std::string format_state() const { return fmt::format("value={} ticks={}", value_, ticks_); }

 private:
  int value_ = 0;
  int ticks_ = 0;
  std::shared_ptr<std::vector<std::string>> log_;
};

}  // namespace fixtures
