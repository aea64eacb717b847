#pragma once

// The caf-otp test kit: drive gen_servers deterministically from a doctest (or any) test.
//
// A `kit` owns a node running CAF's test coordinator: nothing runs until the test drives it,
// and time is virtual. Calls (`gen_server::call`, `try_call`, `stop`, `sys::*`) made from the
// test drive the node themselves until the reply arrives, jumping virtual time to the next
// timer whenever nothing else is ready, so timeouts fire without sleeping. A `probe` is a
// process that records what it receives, for `expect`-style assertions. Failed expectations
// throw `otp::test::expectation_failed`, which every test framework reports.

#include "otp/detail/boxed.hpp"
#include "otp/detail/type_name.hpp"
#include "otp/exit_reason.hpp"
#include "otp/logger.hpp"
#include "otp/messages.hpp"
#include "otp/node.hpp"
#include "otp/pid.hpp"
#include "otp/timeout.hpp"

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <typeinfo>
#include <vector>

namespace otp::test {

/// A test expectation that did not hold.
class expectation_failed : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class kit;

/// A message a probe received, whatever it is: asks whether it is a value of a type, takes the
/// value, prints it.
class received {
 public:
  /// The message's value when it is one `T` (sent by `otp::send`, a down or exit signal, or a
  /// bare `T` from plain CAF), else null.
  template <class T>
  const T* get_if() const noexcept {
    if (const auto* boxed = find(typeid(detail::box<T>)))
      return &static_cast<const detail::box<T>*>(boxed)->value;
    return static_cast<const T*>(find(typeid(T)));
  }

  template <class T>
  bool is() const noexcept {
    return get_if<T>() != nullptr;
  }

  /// The message as the log prints it.
  std::string to_string() const;

  /// What the runtime holds of the message (defined by the test kit's sources).
  struct content;
  explicit received(std::shared_ptr<const content> c) noexcept : content_(std::move(c)) {}

 private:
  const void* find(const std::type_info& type) const noexcept;

  std::shared_ptr<const content> content_;
};

/// A process that records every message, down and exit signal it receives (it traps exits).
class probe {
 public:
  otp::pid pid() const { return pid_; }

  /// Monitors / links `p`; the `down` / `exit_signal` arrives in this probe.
  void monitor(const otp::pid& p);
  void link(const otp::pid& p);

  /// Waits (in virtual time, at most `within`) for the next message, which must be a `T`.
  template <class T>
  T expect(timeout within = std::chrono::seconds{5});

  /// Waits for the next message and returns it, whatever it is.
  received next(timeout within = std::chrono::seconds{5});

  /// True when no message is waiting (after running everything that is ready).
  bool empty();

  /// Number of messages waiting.
  std::size_t size();

  /// What the probe received and the test has not yet taken (shared with the probe process).
  struct inbox;

 private:
  friend class kit;
  probe(kit& k, otp::pid p, std::shared_ptr<inbox> box)
    : kit_(&k), pid_(std::move(p)), inbox_(std::move(box)) {}

  kit* kit_;
  otp::pid pid_;
  std::shared_ptr<inbox> inbox_;
};

/// A deterministic node for tests.
class kit {
 public:
  kit();
  ~kit();

  kit(const kit&) = delete;
  kit& operator=(const kit&) = delete;

  otp::node& node() noexcept { return node_; }
  operator otp::node&() noexcept { return node_; }

  /// Runs every message that is ready; virtual time stands still. Returns how many ran.
  std::size_t run();

  /// Moves virtual time forward by `d`, firing due timers in order and running everything
  /// they cause.
  void advance(timeout d);

  /// Virtual time elapsed since the kit started.
  timeout now() const;

  /// A new recording process.
  probe make_probe();

  /// Runs until `p` exits (at most `within` of virtual time) and returns its exit reason;
  /// throws `expectation_failed` if it is still alive.
  exit_reason wait_exit(const otp::pid& p, timeout within = std::chrono::seconds{5});

  /// True while `p` runs.
  bool alive(const otp::pid& p) const;

  /// Every log event so far (crash reports, supervisor reports, traces, warnings).
  std::vector<log_event> logs() const;
  /// The log events of one kind, e.g. "crash_report".
  std::vector<log_event> logs(std::string_view kind) const;
  void clear_logs();

 private:
  friend class probe;
  bool drive_until(const std::function<bool()>& done, timeout limit);

  otp::node node_;
  mutable std::mutex log_mtx_;
  std::vector<log_event> logs_;
  std::vector<otp::pid> probes_;
  std::chrono::steady_clock::time_point start_;
};

// -- inline implementations ------------------------------------------------------------------

template <class T>
T probe::expect(timeout within) {
  auto msg = next(within);
  if (const auto* value = msg.get_if<T>())
    return *value;
  throw expectation_failed("probe " + std::to_string(pid_.id()) + " expected a message of type "
                           + detail::type_name<T>() + ", got " + msg.to_string());
}

}  // namespace otp::test
