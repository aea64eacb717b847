#include "otp/caf.hpp"
#include "otp/test/kit.hpp"

#include "otp/detail/box.hpp"
#include "process/timer_message.hpp"
#include "runtime/caf_error.hpp"
#include "runtime/deterministic.hpp"

#include <caf/actor_system.hpp>
#include <caf/all.hpp>  // every type caf::type_nr numbers
#include <caf/detail/test_actor_clock.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scheduler/test_coordinator.hpp>
#include <caf/send.hpp>
#include <caf/type_nr.hpp>

#include <fmt/format.h>

#include <cstdint>
#include <deque>
#include <mutex>

namespace otp::test {

struct received::content {
  caf::message msg;
};

struct probe::inbox {
  std::mutex mtx;
  std::deque<caf::message> messages;
};

namespace {

/// The types CAF numbers (`caf::type_nr`) carry no `std::type_info` in a message: the table
/// of theirs, by number.
template <class... Ts>
const std::type_info* builtin_type(std::uint16_t nr, caf::detail::type_list<Ts...>) noexcept {
  static constexpr const std::type_info* types[] = {&typeid(Ts)...};
  return nr >= 1 && nr <= sizeof...(Ts) ? types[nr - 1] : nullptr;
}

struct never_sent {};

caf::scheduler::test_coordinator& coordinator(otp::node& n) {
  return dynamic_cast<caf::scheduler::test_coordinator&>(n.system().scheduler());
}

void push(probe::inbox& in, caf::message msg) {
  std::lock_guard guard{in.mtx};
  in.messages.push_back(std::move(msg));
}

caf::behavior recording(caf::event_based_actor* self, std::shared_ptr<probe::inbox> in) {
  self->set_default_handler([in](caf::scheduled_actor*, caf::message_view& x) {
    auto msg = x.move_content_to_message();
    // A send_after timer: deliver its payload unless it was cancelled.
    if (!msg.empty() && detail::is_timer_message(msg.content())) {
      if (auto* payload = detail::fire_timer(msg.content()))
        push(*in, std::move(*payload));
      return caf::result<caf::message>{caf::message{}};
    }
    push(*in, std::move(msg));
    return caf::result<caf::message>{caf::message{}};
  });
  self->set_down_handler([in](caf::down_msg& d) {
    push(*in, caf::make_message(
                detail::box<down>{otp::to_pid(d.source), detail::from_caf_error(d.reason)}));
  });
  self->set_exit_handler([in](caf::exit_msg& e) {
    push(*in, caf::make_message(
                detail::box<exit_signal>{otp::to_pid(e.source), detail::from_caf_error(e.reason)}));
  });
  return {[](const detail::box<never_sent>&) {}};
}

}  // namespace

// -- probe ------------------------------------------------------------------------------------

void probe::monitor(const otp::pid& p) {
  // The test thread is the only thread of a deterministic node: the probe is not running.
  caf::actor_cast<caf::event_based_actor*>(otp::to_actor(pid_))->monitor(otp::to_actor(p));
}

void probe::link(const otp::pid& p) {
  caf::actor_cast<caf::event_based_actor*>(otp::to_actor(pid_))->link_to(otp::to_actor(p));
}

const void* received::find(const std::type_info& type) const noexcept {
  const auto& msg = content_->msg;
  if (msg.size() != 1)
    return nullptr;
  auto [nr, info] = msg.type(0);
  if (!info)
    info = builtin_type(nr, caf::sorted_builtin_types{});
  return info && *info == type ? msg.at(0) : nullptr;
}

std::string received::to_string() const {
  return caf::to_string(content_->msg);
}

received probe::next(timeout within) {
  auto has_message = [this] {
    std::lock_guard guard{inbox_->mtx};
    return !inbox_->messages.empty();
  };
  if (!kit_->drive_until(has_message, within))
    throw expectation_failed(
      fmt::format("probe <0.{}.0> received nothing within {} ms", pid_.id(), within.count()));
  std::lock_guard guard{inbox_->mtx};
  auto msg = std::move(inbox_->messages.front());
  inbox_->messages.pop_front();
  return received{std::make_shared<const received::content>(received::content{std::move(msg)})};
}

bool probe::empty() {
  return size() == 0;
}

std::size_t probe::size() {
  kit_->run();
  std::lock_guard guard{inbox_->mtx};
  return inbox_->messages.size();
}

// -- kit --------------------------------------------------------------------------------------

kit::kit()
  : node_(
    node_options{.threads = 1, .policy = scheduler_policy::testing, .log = log_level::debug}) {
  start_ = coordinator(node_).clock().now();
  node_.logger().set_sink([this](const log_event& e) {
    std::lock_guard guard{log_mtx_};
    logs_.push_back(e);
  });
}

kit::~kit() {
  for (auto& p : probes_)
    caf::anon_send_exit(otp::to_actor(p), caf::exit_reason::kill);
  probes_.clear();
  node_.shutdown();
  coordinator(node_).run();
}

std::size_t kit::run() {
  return coordinator(node_).run();
}

void kit::advance(timeout d) {
  auto& sched = coordinator(node_);
  auto& clock = sched.clock();
  auto until = clock.now() + d;
  sched.run();
  // Fire timers one at a time, in order, running what each one causes before the next.
  while (clock.has_pending_timeout() && clock.schedule().begin()->first <= until) {
    if (clock.schedule().begin()->first > clock.current_time)
      clock.current_time = clock.schedule().begin()->first;
    clock.trigger_timeout();
    sched.run();
  }
  clock.current_time = until;
}

timeout kit::now() const {
  auto& sched = coordinator(const_cast<otp::node&>(node_));
  return std::chrono::duration_cast<timeout>(sched.clock().now() - start_);
}

probe kit::make_probe() {
  auto in = std::make_shared<probe::inbox>();
  auto handle = node_.system().spawn(recording, in);
  probes_.push_back(otp::to_pid(handle));
  return probe{*this, otp::to_pid(handle), std::move(in)};
}

exit_reason kit::wait_exit(const otp::pid& p, timeout within) {
  struct slot {
    std::mutex mtx;
    std::optional<caf::error> reason;
  };
  auto s = std::make_shared<slot>();
  otp::actor_ptr(p)->attach_functor([s](const caf::error& r) {
    std::lock_guard guard{s->mtx};
    s->reason = r;
  });
  auto exited = [&] {
    std::lock_guard guard{s->mtx};
    return s->reason.has_value();
  };
  if (!drive_until(exited, within))
    throw expectation_failed(fmt::format("{} is still alive after {} ms", p, within.count()));
  std::lock_guard guard{s->mtx};
  return detail::from_caf_error(*s->reason);
}

bool kit::alive(const otp::pid& p) const {
  return p && !otp::actor_ptr(p)->getf(caf::abstract_actor::is_terminated_flag);
}

std::vector<log_event> kit::logs() const {
  std::lock_guard guard{log_mtx_};
  return logs_;
}

std::vector<log_event> kit::logs(std::string_view kind) const {
  std::vector<log_event> result;
  std::lock_guard guard{log_mtx_};
  for (const auto& e : logs_)
    if (e.kind == kind)
      result.push_back(e);
  return result;
}

void kit::clear_logs() {
  std::lock_guard guard{log_mtx_};
  logs_.clear();
}

bool kit::drive_until(const std::function<bool()>& done, timeout limit) {
  return detail::drive_until(node_.system(), done, limit);
}

}  // namespace otp::test
