#include "supervision/supervisor_state.hpp"

#include "supervision/child_exits.hpp"
#include "supervision/stop_and_wait.hpp"

#include "otp/caf.hpp"
#include "otp/node.hpp"
#include "process/server_core.hpp"

#include "runtime/caf_error.hpp"

#include <caf/actor_cast.hpp>
#include <caf/system_messages.hpp>

#include <fmt/format.h>

#include <algorithm>

namespace otp::detail {

namespace {

server_core& core() {
  return server_core::running();
}

/// A concurrent stop tells its children to exit a window at a time. Each child told becomes
/// runnable on this scheduler thread's queue, and CAF 0.17's work stealing takes jobs from the
/// far end of that queue by walking it: 100,000 children told at once made stopping a 100k
/// pool quadratic (20 s; now 0.4 s). The window refills as children go down, and moves on
/// anyway when no child went down for `stall_interval`: children that take their time in
/// terminate are not queued jobs, and each must still get its shutdown about when OTP would
/// give it (at once), since the shutdown timeout runs for all of them from the start.
constexpr std::size_t stop_window = 256;
constexpr auto stall_interval = std::chrono::milliseconds{1};

bool abnormal(const exit_reason& r) {
  return !r.is_clean();
}

/// A start error in OTP's words: a name already taken is `{already_started, Pid}`.
exit_reason start_failure(const start_error& e) {
  if (e.what_kind() == start_error::kind::already_started)
    return exit_reason::error(fmt::format("{{already_started,{}}}", e.existing()));
  return e.reason();
}

sup_error start_failed(const start_error& e) {
  return sup_error{sup_error::kind::start_failed, start_failure(e), e.existing()};
}

bool has_exited(const otp::pid& p) {
  return otp::actor_ptr(p)->getf(caf::abstract_actor::is_terminated_flag);
}

}  // namespace

// -- init: validate the flags and specs, start the children in order -------------------------

init_result supervisor_state::init(const sup_init& make) {
  auto spec = make();
  if (!spec)
    return otp::ignore();
  return init(spec->flags, std::move(spec->children));
}

init_result supervisor_state::init(sup_flags flags, std::vector<child_spec> specs) {
  flags_ = flags;
  otp::trap_exit(true);
  core().mark_supervisor();
  // OTP's words (supervisor:init/1): bad flags are {supervisor_data, What}, bad child specs
  // {start_spec, What}, a simple_one_for_one without exactly one spec {bad_start_spec, Specs}.
  auto refuse = [](std::string what) { return otp::stop(exit_reason::error(std::move(what))); };
  if (auto bad = check_flags(flags))
    return refuse(fmt::format("{{supervisor_data,{}}}", *bad));
  if (simple() && specs.size() != 1) {
    std::vector<std::string> listed;
    for (const auto& spec : specs)
      listed.push_back(spec.id);
    return refuse(fmt::format("{{bad_start_spec,[{}]}}", fmt::join(listed, ",")));
  }
  std::unordered_set<std::string> ids;
  for (const auto& spec : specs) {
    if (auto bad = validate(spec))
      return otp::stop(exit_reason::error(fmt::format("{{start_spec,{}}}", *bad)));
    if (!ids.insert(spec.id).second)
      return refuse(fmt::format("{{start_spec,{{duplicate_child_name,{}}}}}", spec.id));
  }
  if (simple()) {
    children_.push_back(child{std::move(specs.front()), {}});
    return otp::ok();
  }
  std::vector<std::pair<otp::pid, shutdown_spec>> started;
  for (auto& spec : specs) {
    auto r = start(spec, {});
    if (!r) {
      auto reason = start_failure(r.error());
      report("start_error", reason, spec.id, {});
      std::reverse(started.begin(), started.end());
      stop_and_wait(started);
      return otp::stop(
        exit_reason::shutdown(fmt::format("{{failed_to_start_child,{},{}}}", spec.id, reason)));
    }
    if (*r)
      started.emplace_back(*r, spec.effective_shutdown());
    if (*r || spec.restart != restart::temporary)
      children_.push_back(child{std::move(spec), *r});
  }
  return otp::ok();
}

std::optional<std::string> supervisor_state::check_flags(const sup_flags& flags) {
  if (static_cast<unsigned>(flags.strategy) > static_cast<unsigned>(strategy::simple_one_for_one))
    return fmt::format("{{invalid_strategy,{}}}", static_cast<int>(flags.strategy));
  if (flags.intensity < 0)
    return fmt::format("{{invalid_intensity,{}}}", flags.intensity);
  if (flags.period.count() < 1)
    return fmt::format("{{invalid_period,{}}}", flags.period.count());
  if (static_cast<unsigned>(flags.auto_shutdown)
      > static_cast<unsigned>(auto_shutdown::all_significant))
    return fmt::format("{{invalid_auto_shutdown,{}}}", static_cast<int>(flags.auto_shutdown));
  return std::nullopt;
}

std::optional<exit_reason> supervisor_state::validate(const child_spec& spec) const {
  // OTP's check_childspec, in its order; ids are the user's strings, printed as OTP prints
  // an atom id.
  auto bad = [](std::string what) { return std::optional{exit_reason::error(std::move(what))}; };
  if (spec.id.empty())
    return bad("missing_id");
  if (!spec.start)
    return bad("missing_start");
  if (static_cast<unsigned>(spec.restart) > static_cast<unsigned>(restart::temporary))
    return bad(fmt::format("{{invalid_restart_type,{}}}", static_cast<int>(spec.restart)));
  if (static_cast<unsigned>(spec.type) > static_cast<unsigned>(child_type::supervisor))
    return bad(fmt::format("{{invalid_child_type,{}}}", static_cast<int>(spec.type)));
  if (spec.shutdown && !spec.shutdown->is_brutal_kill() && spec.shutdown->after().count() < 0)
    return bad(fmt::format("{{invalid_shutdown,{}}}", spec.shutdown->after().count()));
  if (spec.significant && flags_.auto_shutdown == auto_shutdown::never)
    return bad("{bad_combination,[{auto_shutdown,never},{significant,true}]}");
  if (spec.significant && spec.restart == restart::permanent)
    return bad("{bad_combination,[{restart,permanent},{significant,true}]}");
  return std::nullopt;
}

start_function::result_type supervisor_state::start(const child_spec& spec,
                                                    const extra_args& extra) {
  auto r = spec.start(extra);
  if (!r) {
    if (r.error().what_kind() == start_error::kind::ignore)
      return otp::pid{};
    return r;
  }
  // Monitors, not only links: CAF removes a link when it delivers an exit signal, so a child
  // told to stop would otherwise never report its exit (and neither would a "naughty" child
  // that unlinks itself).
  otp::monitor(*r);
  if (auto& log = core().home().logger(); log.enabled(log_level::info))
    log.log(log_level::info, "progress", "supervisor {} started {} as {}", name(),
            spec.id.empty() ? spec.start.description() : spec.id, *r);
  return r;
}

// -- dynamic children --------------------------------------------------------------------------

pid_result supervisor_state::handle_call(const sup_start_child& r) {
  if (simple())
    return unexpected{sup_error{sup_error::kind::simple_one_for_one}};
  if (auto bad = validate(r.spec))
    return unexpected{sup_error{sup_error::kind::invalid_spec, *bad}};
  if (auto* c = find(r.spec.id)) {
    if (c->pid)
      return unexpected{sup_error{sup_error::kind::already_started, {}, c->pid}};
    return unexpected{sup_error{sup_error::kind::already_present}};
  }
  auto started = start(r.spec, {});
  if (!started)  // the caller is told; OTP reports start errors only at init and on restarts
    return unexpected{start_failed(started.error())};
  if (*started || r.spec.restart != restart::temporary)
    children_.push_back(child{r.spec, *started});
  return *started;
}

pid_result supervisor_state::handle_call(const sup_start_dynamic& r) {
  if (!simple())
    return unexpected{sup_error{sup_error::kind::invalid_spec,
                                exit_reason::error("start_child with extra arguments needs "
                                                   "simple_one_for_one")}};
  auto started = start(children_.front().spec, r.extra);
  if (!started)
    return unexpected{start_failed(started.error())};
  // As OTP does, a temporary child's arguments are not kept: it is never restarted, and a
  // pool of connections should not hold each one's start message.
  if (*started)
    dynamic_.emplace(
      started->id(),
      dynamic_child{*started,
                    children_.front().spec.restart == restart::temporary ? extra_args{} : r.extra});
  return *started;
}

void supervisor_state::handle_cast(const sup_adopt& a) {
  // Started for us on an acceptor's stack, linked to us until now (adopt_child). A child that
  // exited meanwhile is reported at once by the monitor, like any other exit.
  if (!simple() || children_.front().spec.restart != restart::temporary || stopping_) {
    otp::exit(a.child, exit_reason::shutdown());  // we are its parent: it stops
    return;
  }
  otp::monitor(a.child);
  core().unlink_from(otp::to_actor(a.child));
  dynamic_.emplace(a.child.id(), dynamic_child{a.child, {}});
  if (auto& log = core().home().logger(); log.enabled(log_level::info))
    log.log(log_level::info, "progress", "supervisor {} adopted {} as {}", name(),
            children_.front().spec.id, a.child);
}

call_result<void_result> supervisor_state::handle_call(const sup_terminate_child& r,
                                                       from<void_result> caller) {
  if (simple())
    return void_result{unexpected{sup_error{sup_error::kind::simple_one_for_one}}};
  auto* c = find(r.id);
  if (!c)
    return void_result{unexpected{sup_error{sup_error::kind::not_found}}};
  auto finish = [this, id = r.id, caller] {
    // A terminated temporary child's spec is deleted, as in OTP.
    if (auto* done = find(id); done && done->spec.restart == restart::temporary)
      std::erase_if(children_, [&](const child& x) { return x.spec.id == id; });
    caller.reply({});
  };
  if (!c->pid) {
    c->restarting = false;
    finish();
    return otp::noreply();
  }
  stop_job job;
  job.targets.emplace_back(c->pid, c->spec.effective_shutdown());
  job.then = finish;
  run_job(std::move(job));
  return otp::noreply();
}

call_result<void_result> supervisor_state::handle_call(const sup_terminate_pid& r,
                                                       from<void_result> caller) {
  // OTP: a pid names a child only under simple_one_for_one; a static child is named by its id.
  if (!simple())
    return void_result{unexpected{sup_error{sup_error::kind::not_found}}};
  auto i = dynamic_.find(r.pid.id());
  if (i == dynamic_.end()) {
    // A dead pid is a child that is gone already: done. Only a live stranger is not found.
    if (r.pid && !has_exited(r.pid))
      return void_result{unexpected{sup_error{sup_error::kind::not_found}}};
    return void_result{};
  }
  if (!i->second.pid) {  // waiting to be restarted: it is simply not restarted
    dynamic_.erase(i);
    return void_result{};
  }
  stop_job job;
  job.targets.emplace_back(r.pid, children_.front().spec.effective_shutdown());
  job.then = [this, id = r.pid.id(), caller] {
    dynamic_.erase(id);
    caller.reply({});
  };
  run_job(std::move(job));
  return otp::noreply();
}

expected<supervisor_state::child*, sup_error> supervisor_state::stopped_child(
  const std::string& id) {
  if (simple())
    return unexpected{sup_error{sup_error::kind::simple_one_for_one}};
  auto* c = find(id);
  if (!c)
    return unexpected{sup_error{sup_error::kind::not_found}};
  if (c->pid)
    return unexpected{sup_error{sup_error::kind::running}};
  if (c->restarting)
    return unexpected{sup_error{sup_error::kind::restarting}};
  return c;
}

pid_result supervisor_state::handle_call(const sup_restart_child& r) {
  auto c = stopped_child(r.id);
  if (!c)
    return unexpected{c.error()};
  auto started = start((*c)->spec, {});
  if (!started)
    return unexpected{start_failed(started.error())};
  find(r.id)->pid = *started;
  return *started;
}

void_result supervisor_state::handle_call(const sup_delete_child& r) {
  if (auto c = stopped_child(r.id); !c)
    return unexpected{c.error()};
  std::erase_if(children_, [&](const child& x) { return x.spec.id == r.id; });
  return {};
}

expected<child_spec, sup_error> supervisor_state::handle_call(const sup_get_childspec& r) {
  if (simple())
    return children_.front().spec;
  if (auto* c = find(r.id))
    return c->spec;
  return unexpected{sup_error{sup_error::kind::not_found}};
}

std::vector<child_info> supervisor_state::handle_call(const sup_which_children&) {
  std::vector<child_info> result;
  auto info = [](const child_spec& spec, const otp::pid& p, bool restarting, unsigned restarts) {
    child_info i;
    i.id = spec.id;
    i.pid = p;
    i.type = spec.type;
    i.state = p ? child_info::status::running
                : (restarting ? child_info::status::restarting : child_info::status::undefined);
    i.restart = spec.restart;
    i.significant = spec.significant;
    i.restarts = restarts;
    i.module = spec.start.description();
    return i;
  };
  if (simple()) {
    result.reserve(dynamic_.size());
    for (const auto& [id, d] : dynamic_) {
      result.push_back(info(children_.front().spec, d.pid, !d.pid, d.restarts));
      result.back().id.clear();
    }
    std::sort(result.begin(), result.end(),
              [](const child_info& a, const child_info& b) { return a.pid < b.pid; });
    return result;
  }
  // Newest first, as OTP lists them (its child list is built by prepending).
  for (auto c = children_.rbegin(); c != children_.rend(); ++c)
    result.push_back(info(c->spec, c->pid, c->restarting, c->restarts));
  return result;
}

child_counts supervisor_state::handle_call(const sup_count_children&) {
  child_counts n;
  auto count = [&n](child_type type, bool running) {
    if (running)
      ++n.active;
    if (type == child_type::supervisor)
      ++n.supervisors;
    else
      ++n.workers;
  };
  if (simple()) {
    n.specs = 1;
    for (const auto& [id, d] : dynamic_)
      count(children_.front().spec.type, static_cast<bool>(d.pid));
    return n;
  }
  n.specs = children_.size();
  for (const auto& c : children_)
    count(c.spec.type, static_cast<bool>(c.pid));
  return n;
}

// -- restarts ----------------------------------------------------------------------------------

void supervisor_state::handle_info(const otp::down& d) {
  if (observer_ && (dynamic_.count(d.pid.id()) > 0 || find(d.pid)))
    otp::send(observer_, sup_child_exit{d.pid, d.reason});
  if (job_) {
    job_child_down(d.pid, d.reason);
    return;
  }
  if (stopping_)
    return;
  child_exited(d.pid, d.reason);
}

void supervisor_state::child_exited(const otp::pid& who, const exit_reason& reason) {
  if (auto* c = find(who)) {
    c->pid = {};
    auto type = c->spec.restart;
    if (type == restart::permanent || abnormal(reason))
      report("child_terminated", reason, c->spec.id, who);
    if (type == restart::permanent || (type == restart::transient && abnormal(reason))) {
      restart(static_cast<std::size_t>(c - children_.data()));
      return;
    }
    auto spec = c->spec;
    if (type == restart::temporary)
      std::erase_if(children_, [&](const child& x) { return x.spec.id == spec.id; });
    check_auto_shutdown(spec);
    return;
  }
  if (!simple())
    return;
  auto i = dynamic_.find(who.id());
  if (i == dynamic_.end())
    return;
  const auto& spec = children_.front().spec;
  if (spec.restart == restart::permanent || abnormal(reason))
    report("child_terminated", reason, spec.id, who);
  if (spec.restart == restart::permanent
      || (spec.restart == restart::transient && abnormal(reason))) {
    restart_dynamic(who.id());
    return;
  }
  dynamic_.erase(i);
  check_auto_shutdown(spec);
}

bool supervisor_state::add_restart() {
  // OTP's add_restart: restart times in whole seconds of the monotonic clock, and a restart
  // exactly `period` seconds back still counts. More than `intensity` of them is too many.
  // (A period that is not whole seconds, which OTP cannot express, is rounded up.)
  using std::chrono::seconds;
  auto now = std::chrono::floor<seconds>(core().now().time_since_epoch()).count();
  auto period = std::chrono::ceil<seconds>(flags_.period).count();
  restarts_.push_back(now);
  while (!restarts_.empty() && restarts_.front() < now - period)
    restarts_.pop_front();
  return restarts_.size() <= static_cast<std::size_t>(flags_.intensity);
}

void supervisor_state::give_up(const std::string& offender) {
  report("shutdown", exit_reason::error("reached_max_restart_intensity"), offender, {});
  core().stop_with(exit_reason::shutdown());
}

void supervisor_state::restart(std::size_t index) {
  if (!add_restart()) {
    give_up(children_[index].spec.id);
    return;
  }
  switch (flags_.strategy) {
    case strategy::one_for_one:
    case strategy::simple_one_for_one:
      restart_from(index);
      return;
    case strategy::one_for_all:
    case strategy::rest_for_one: {
      // Stop the siblings this strategy takes down (reverse start order), then start again.
      auto first = flags_.strategy == strategy::one_for_all ? std::size_t{0} : index;
      stop_job job;
      for (auto i = children_.size(); i-- > first;)
        if (children_[i].pid)
          job.targets.emplace_back(children_[i].pid, children_[i].spec.effective_shutdown());
      auto failed_id = children_[index].spec.id;
      job.then = [this, first, failed_id] {
        if (stopping_)
          return;
        // Temporary children taken down by a sibling are not restarted: forget them.
        std::size_t kept = first;
        std::vector<child> rest;
        for (std::size_t i = first; i < children_.size(); ++i)
          if (children_[i].pid || children_[i].spec.restart != restart::temporary
              || children_[i].spec.id == failed_id)
            rest.push_back(std::move(children_[i]));
        children_.resize(first);
        for (auto& c : rest)
          children_.push_back(std::move(c));
        restart_from(kept);
      };
      run_job(std::move(job));
      return;
    }
  }
}

void supervisor_state::restart_from(std::size_t first) {
  // One_for_one restarts one child; the others restart every stopped child from `first` on.
  auto last =
    flags_.strategy == strategy::one_for_one || flags_.strategy == strategy::simple_one_for_one
      ? first + 1
      : children_.size();
  for (auto i = first; i < last && i < children_.size(); ++i) {
    auto& c = children_[i];
    if (c.pid)
      continue;
    auto r = start(c.spec, {});
    auto& again = children_[i];
    if (r) {
      again.pid = *r;
      again.restarting = false;
      ++again.restarts;
      continue;
    }
    // Retry through the mailbox (OTP's try_again_restart); this child and the ones after it
    // wait as `restarting`.
    report("start_error", start_failure(r.error()), again.spec.id, {});
    for (auto j = i; j < last && j < children_.size(); ++j)
      if (!children_[j].pid)
        children_[j].restarting = true;
    otp::send(otp::self(), sup_try_again{again.spec.id, 0});
    return;
  }
}

void supervisor_state::restart_dynamic(std::uint64_t old_id) {
  if (!add_restart()) {
    // The dead child is gone: the stop that follows must not wait for its down again.
    dynamic_.erase(old_id);
    give_up(children_.front().spec.id);
    return;
  }
  auto node = dynamic_.extract(old_id);
  if (node.empty())
    return;
  auto r = start(children_.front().spec, node.mapped().extra);
  if (!r) {
    report("start_error", start_failure(r.error()), children_.front().spec.id, {});
    node.mapped().pid = {};
    dynamic_.insert(std::move(node));
    otp::send(otp::self(), sup_try_again{{}, old_id});
    return;
  }
  if (!*r)
    return;  // ignore: the child is gone
  node.mapped().pid = *r;
  ++node.mapped().restarts;
  node.key() = r->id();
  dynamic_.insert(std::move(node));
}

void supervisor_state::handle_info(const sup_try_again& t) {
  if (job_) {
    postponed_.emplace_back(t);
    return;
  }
  if (stopping_)
    return;
  if (t.dynamic != 0) {
    if (auto i = dynamic_.find(t.dynamic); i != dynamic_.end() && !i->second.pid)
      restart_dynamic(t.dynamic);
    return;
  }
  if (auto* c = find(t.id); c && c->restarting && !c->pid)
    restart(static_cast<std::size_t>(c - children_.data()));
}

void supervisor_state::check_auto_shutdown(const child_spec& spec) {
  if (!spec.significant || flags_.auto_shutdown == auto_shutdown::never)
    return;
  if (flags_.auto_shutdown == auto_shutdown::all_significant) {
    for (const auto& c : children_)
      if (c.spec.significant && c.pid)
        return;
    if (simple() && children_.front().spec.significant)
      for (const auto& [id, d] : dynamic_)
        if (d.pid)
          return;
  }
  core().stop_with(exit_reason::shutdown());
}

// -- stopping children -------------------------------------------------------------------------

void supervisor_state::exiting(server_core& self, const exit_reason& reason) {
  // No strong reference to ourselves in the message: this may run while CAF destroys us.
  auto signal = caf::make_message(caf::exit_msg{self.address(), to_caf_error(reason)});
  auto send = [&](const otp::pid& child) {
    otp::to_actor(child)->enqueue(nullptr, caf::make_message_id(), signal, nullptr);
  };
  for (const auto& c : children_)
    if (c.pid)
      send(c.pid);
  for (const auto& [id, d] : dynamic_)
    if (d.pid)
      send(d.pid);
}

bool supervisor_state::defer_stop(const exit_reason& reason) {
  stopping_ = reason;
  if (!job_)
    stop_all_children([reason] { core().complete_stop(reason); });
  // else: job_finished() starts the final stop when the running job is done.
  return true;
}

void supervisor_state::stop_all_children(std::function<void()> then) {
  // Children whose exit is still queued for processing are gone already.
  std::unordered_set<std::uint64_t> dead;
  for (const auto& t : postponed_)
    if (const auto* d = std::get_if<otp::down>(&t))
      dead.insert(d->pid.id());
  postponed_.clear();
  if (simple()) {
    start_pool_job(dead, std::move(then));
    return;
  }
  stop_job job;
  job.then = std::move(then);
  for (auto i = children_.size(); i-- > 0;)
    if (children_[i].pid && !dead.contains(children_[i].pid.id()))
      job.targets.emplace_back(children_[i].pid, children_[i].spec.effective_shutdown());
  run_job(std::move(job));
}

void supervisor_state::start_pool_job(const std::unordered_set<std::uint64_t>& dead,
                                      std::function<void()> then) {
  stop_job job;
  job.then = std::move(then);
  job.concurrent = true;
  job.pool_shutdown = children_.front().spec.effective_shutdown();
  job.pool.reserve(dynamic_.size());
  for (const auto& [id, d] : dynamic_)
    if (d.pid && !dead.contains(id))
      job.pool.push_back(id);
  // Sorted, so that a down finds its child by binary search; told in start order.
  std::sort(job.pool.begin(), job.pool.end());
  job.steps.assign(job.pool.size(), pool_step::waiting);
  job.pool_waiting = job.pool.size();
  run_job(std::move(job));
}

void supervisor_state::run_job(stop_job job) {
  job.id = ++job_counter_;
  if (job.targets.empty() && job.pool.empty()) {
    if (job.then)
      job.then();
    return;
  }
  if (!job.concurrent) {
    // A child whose down is already queued needs no stopping (and sends no second down).
    // (A concurrent job's children are all alive: stop_all_children left out the others.)
    for (const auto& t : postponed_)
      if (const auto* d = std::get_if<otp::down>(&t))
        job.already_down.insert(d->pid.id());
    for (const auto& t : job.targets)
      job.ids.insert(t.first.id());
  }
  job_ = std::move(job);
  core().hold_requests(true);
  if (!job_->concurrent) {
    job_advance();
    return;
  }
  const auto& spec = job_->pool_shutdown;
  if (!spec.is_brutal_kill() && !spec.is_infinity())
    job_->timer = otp::send_after(spec.after(), sup_job_timer{job_->id});
  job_signal_more(stop_window);
}

void supervisor_state::job_signal_more(std::size_t window) {
  auto& job = *job_;
  auto reason = job.pool_shutdown.is_brutal_kill() ? exit_reason::kill() : exit_reason::shutdown();
  for (; job.next < job.pool.size() && job.told < window; ++job.next) {
    auto& step = job.steps[job.next];
    if (step != pool_step::waiting)
      continue;
    auto d = dynamic_.find(job.pool[job.next]);
    if (d == dynamic_.end() || !d->second.pid) {  // cannot be (held requests): not waited for
      step = pool_step::down;
      --job.pool_waiting;
      continue;
    }
    otp::exit(d->second.pid, reason);
    step = pool_step::told;
    ++job.told;
  }
  if (job.next < job.pool.size()) {
    if (!job.stall_check) {
      job.stall_check = true;
      job.downs_at_check = job.downs;
      otp::send_after(stall_interval, sup_job_stalled{job.id});
    }
    return;
  }
  if (job.pool_waiting == 0) {
    otp::cancel_timer(job.timer);
    job_finished();
  }
}

void supervisor_state::handle_info(const sup_job_stalled& t) {
  if (!job_ || job_->id != t.job)
    return;
  auto& job = *job_;
  job.stall_check = false;
  // Children went down meanwhile: the window moves by itself.
  job_signal_more(job.downs == job.downs_at_check ? job.told + stop_window : stop_window);
}

void supervisor_state::job_advance() {
  auto& job = *job_;
  while (job.next < job.targets.size()) {
    const auto& [p, spec] = job.targets[job.next];
    if (job.already_down.contains(p.id())) {
      ++job.next;
      continue;
    }
    job.waiting = {p.id()};
    job.killing = spec.is_brutal_kill();
    otp::exit(p, job.killing ? exit_reason::kill() : exit_reason::shutdown());
    if (!job.killing && !spec.is_infinity())
      job.timer = otp::send_after(spec.after(), sup_job_timer{job.id});
    return;
  }
  job_finished();
}

void supervisor_state::handle_info(const sup_job_timer& t) {
  if (!job_ || job_->id != t.job)
    return;
  if (job_->killing) {
    // Killed a timeout ago and still not down: a callback that computes without waiting
    // cannot be interrupted. Say so; the child is never restarted while it still runs.
    for_each_waiting([this](const otp::pid& p, const shutdown_spec& spec) {
      core().home().logger().log(
        log_level::warning, "supervisor_report",
        "supervisor {}: child {} has not exited {} ms after it was killed: it computes without "
        "waiting, and exits when its callback returns",
        name(), p, spec.after().count());
    });
    return;
  }
  // The shutdown timeout passed: kill (and wait for the down, however long it takes). An
  // ordered stop then goes on with the next child, each with its own timeout (OTP stops the
  // children one by one). In a concurrent stop the children not yet told are killed too:
  // the one timeout ran for all of them from the start.
  job_->killing = true;
  job_->timed_out = true;
  timeout after{};
  for_each_waiting([&after](const otp::pid& p, const shutdown_spec& spec) {
    otp::exit(p, exit_reason::kill());
    after = spec.after();
  });
  if (job_->concurrent)
    job_->next = job_->pool.size();
  // A killed child that waits goes at once; the same time again is its watchdog.
  job_->timer = otp::send_after(after, sup_job_timer{job_->id});
}

void supervisor_state::job_child_down(const otp::pid& who, const exit_reason& reason) {
  auto& job = *job_;
  auto id = who.id();
  if (job.concurrent ? pool_step_of(id) == nullptr : !job.ids.contains(id)) {
    postponed_.emplace_back(otp::down{who, reason});
    return;
  }
  // A pool's child stays in `dynamic_` until the whole pool is down (release_pool); the one
  // child of terminate_child(pid) is erased by that job's `then`.
  auto* c = find(who);
  if (c)
    c->pid = {};
  if (job.concurrent ? !pool_child_down(id) : job.waiting.erase(id) == 0) {
    job.already_down.insert(id);  // died on its own before its turn
    return;
  }
  const child_spec* spec = c ? &c->spec : (children_.empty() ? nullptr : &children_.front().spec);
  bool brutal = spec && spec->effective_shutdown().is_brutal_kill();
  // OTP's do_terminate: a non-permanent child that exited `normal` meanwhile is no error, nor
  // is `killed` for a brutal_kill child; a child killed at its shutdown timeout is one.
  bool benign = reason.is_normal() && spec && spec->restart != restart::permanent;
  bool expected = reason == exit_reason::shutdown() || (brutal && reason == exit_reason::killed());
  if (!expected && !benign) {
    if (job.concurrent && job.timed_out && reason == exit_reason::killed())
      ++job.killed_at_timeout;
    else
      report("shutdown_error", reason, spec ? spec->id : "", who);
  }
  if (job.concurrent) {
    ++job.downs;
    if (job.told <= stop_window / 2)
      job_signal_more(stop_window);
    return;
  }
  otp::cancel_timer(job.timer);
  ++job.next;
  job_advance();
}

supervisor_state::pool_step* supervisor_state::pool_step_of(std::uint64_t id) {
  auto& pool = job_->pool;
  auto i = std::lower_bound(pool.begin(), pool.end(), id);
  if (i == pool.end() || *i != id)
    return nullptr;
  return &job_->steps[static_cast<std::size_t>(i - pool.begin())];
}

bool supervisor_state::pool_child_down(std::uint64_t id) {
  auto* step = pool_step_of(id);
  if (step == nullptr || *step == pool_step::down)
    return false;
  if (*step == pool_step::told)
    --job_->told;
  *step = pool_step::down;
  --job_->pool_waiting;
  return true;
}

void supervisor_state::for_each_waiting(
  const std::function<void(const otp::pid&, const shutdown_spec&)>& f) {
  const auto& job = *job_;
  if (!job.concurrent) {
    for (const auto& [p, spec] : job.targets)
      if (job.waiting.contains(p.id()))
        f(p, spec);
    return;
  }
  for (std::size_t i = 0; i < job.pool.size(); ++i)
    if (job.steps[i] != pool_step::down)
      if (auto d = dynamic_.find(job.pool[i]); d != dynamic_.end() && d->second.pid)
        f(d->second.pid, job.pool_shutdown);
}

void supervisor_state::release_pool() {
  // Its pid here was the child's last reference: its memory goes now, on this thread, all
  // in a row. Dropped at each down instead, it went while the other scheduler threads ran the
  // exits of the next children in the same malloc arena: under SCHED_FIFO the stop of 200,000
  // children took 0.77 s instead of 0.52, with ~20,000 futex waits on the arena's lock
  // (0.32 s of system time).
  for (auto id : job_->pool)
    dynamic_.erase(id);
}

void supervisor_state::job_finished() {
  if (job_->killed_at_timeout)
    report_pool_kills(job_->killed_at_timeout);
  if (job_->concurrent)
    release_pool();
  auto then = std::move(job_->then);
  job_.reset();
  core().hold_requests(false);
  if (then)
    then();
  if (job_)
    return;
  if (stopping_) {
    if (!core().stopping())
      stop_all_children([reason = *stopping_] { core().complete_stop(reason); });
    return;
  }
  // Exits and retries that arrived meanwhile, in order.
  while (!job_ && !stopping_ && !postponed_.empty()) {
    auto t = std::move(postponed_.front());
    postponed_.pop_front();
    if (auto* d = std::get_if<otp::down>(&t))
      child_exited(d->pid, d->reason);
    else
      handle_info(std::get<sup_try_again>(t));
  }
}

// -- reports and lookup ------------------------------------------------------------------------

void supervisor_state::report(std::string_view context, const exit_reason& reason,
                              std::string_view id, const otp::pid& who) {
  report_offender(context, reason, id, {"pid", fmt::format("{}", who)});
}

void supervisor_state::report_pool_kills(std::size_t n) {
  // OTP reports a pool's children killed at the timeout once: `id=Template,nb_children=N`.
  report_offender("shutdown_error", exit_reason::killed(), children_.front().spec.id,
                  {"nb_children", fmt::format("{}", n)});
}

void supervisor_state::report_offender(std::string_view context, const exit_reason& reason,
                                       std::string_view id,
                                       std::pair<std::string_view, std::string> offender) {
  auto& log = core().home().logger();
  if (!log.enabled(log_level::error))
    return;
  log_event e;
  e.level = log_level::error;
  e.kind = "supervisor_report";
  e.text =
    fmt::format("supervisor: {}\n errorContext: {}\n reason: {}\n offender: [{{id,{}}},{{{},{}}}]",
                name(), context, reason, id, offender.first, offender.second);
  e.fields = {{"supervisor", name()},
              {"context", std::string{context}},
              {"reason", fmt::format("{}", reason)},
              {"id", std::string{id}},
              {std::string{offender.first}, std::move(offender.second)}};
  log.log(std::move(e));
}

std::string supervisor_state::name() const {
  return core().display_name();
}

std::string supervisor_state::format_state() const {
  return fmt::format("{} with {} children, {} restarts in the last {} ms", flags_.strategy,
                     simple() ? dynamic_.size() : children_.size(), restarts_.size(),
                     flags_.period.count());
}

supervisor_state::child* supervisor_state::find(const std::string& id) {
  for (auto& c : children_)
    if (c.spec.id == id)
      return &c;
  return nullptr;
}

supervisor_state::child* supervisor_state::find(const otp::pid& who) {
  if (!who)
    return nullptr;
  for (auto& c : children_)
    if (c.pid == who)
      return &c;
  return nullptr;
}

}  // namespace otp::detail
