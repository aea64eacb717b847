// supervision_tree: a small application's supervision tree, drawn after each injected fault,
// to show what each restart strategy restarts and how a failure escalates when restarting
// does not help:
//
//   app           one_for_one: at most 1 restart in 5 s, else it gives up too
//   ├─ store      one_for_all: cache, index (they share state: they restart together;
//   │                index has a bounded mailbox, and a flood makes it exit)
//   ├─ pipeline   rest_for_one: reader → parser → writer (each needs the one before)
//   └─ workers    simple_one_for_one: jobs started on demand with start_child
//
// Crash reports go to a logger sink that prints one line per report. New pids are marked `*`
// (and coloured on a terminal; NO_COLOR turns colours off). `--dot` or `--json` prints the
// fresh tree in that format instead, e.g. `supervision_tree --dot | dot -Tsvg > tree.svg`.
//
// `--observe` starts the observer (docs/observer.md) on the node and prints its URL, waits
// 10 s for a browser to open it, then pauses 3 s (`--pause MS`) before each fault, so that a
// person sees each restart flash and the escalation happen; so that the slower steps still
// escalate as described, every restart period is then 60 s instead of 5 s.

#include <otp/gen_server.hpp>
#include <otp/node.hpp>
#include <otp/observer.hpp>
#include <otp/process.hpp>
#include <otp/supervision_tree.hpp>
#include <otp/supervisor.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace supervisor = otp::supervisor;
namespace gen_server = otp::gen_server;

// -- the application's processes ---------------------------------------------------------------

struct fault {};
struct work {};

/// Every worker of this demo: it does nothing until told to crash, or to work a while.
struct service {
  void init(std::string) {}
  void handle_cast(const fault&) { throw std::runtime_error("injected fault"); }
  void handle_cast(const work&) { otp::sleep(1ms); }
};

struct job {
  void init(int) {}
  void handle_cast(const fault&) { throw std::runtime_error("injected fault"); }
};

otp::child_spec worker(std::string id) {
  return {.id = id, .start = otp::start_with<service>(id)};
}

/// A worker whose mailbox holds at most 1,000 messages: one more and it exits
/// (`mailbox_full`), for its supervisor to restart, as Erlang's `max_heap_size` kills.
otp::child_spec bounded_worker(std::string id) {
  otp::start_options bounded{.mailbox = {.max = 1000, .overflow = otp::overflow_policy::crash}};
  return {.id = id, .start = otp::start_with<service>(bounded, id)};
}

otp::child_spec group(std::string id, otp::sup_flags flags, std::vector<otp::child_spec> children) {
  return {.id = std::move(id),
          .start = supervisor::start_with(flags, std::move(children)),
          .type = otp::child_type::supervisor};
}

/// How fast the demo goes: at full speed, or slowly enough for a person watching it.
struct pace {
  std::chrono::seconds period = 5s;       ///< every supervisor's restart period
  std::chrono::milliseconds pause = 0ms;  ///< before each fault
};
pace speed;

// -- output ------------------------------------------------------------------------------------

const bool color = isatty(STDOUT_FILENO) && !std::getenv("NO_COLOR");

std::string paint(std::string_view style, std::string_view text) {
  return color ? fmt::format("\x1b[{}m{}\x1b[0m", style, text) : std::string{text};
}

/// What the logger reported during a step, printed one line per report.
class report_log {
 public:
  void add(const otp::log_event& e) {
    std::lock_guard guard{mtx_};
    events_.push_back(e);
  }

  /// Prints and forgets the reports so far, naming pids after the processes they were.
  void flush(const std::map<std::string, std::string>& names) {
    std::lock_guard guard{mtx_};
    auto name = [&](std::string_view pid) {
      auto i = names.find(std::string{pid});
      return i == names.end() ? std::string{pid} : fmt::format("{} {}", i->second, pid);
    };
    for (const auto& e : events_) {
      std::string line;
      auto sup = names.contains(std::string{e.field("supervisor")})
                   ? names.at(std::string{e.field("supervisor")})
                   : std::string{e.field("supervisor")};
      if (e.kind == "crash_report")
        line =
          fmt::format("crash_report       {} exited: {}", name(e.field("pid")), e.field("reason"));
      else if (e.kind == "supervisor_report" && e.field("context") == "child_terminated")
        line = fmt::format("supervisor_report  {}: child_terminated {}: {}", sup,
                           name(e.field("pid")), e.field("reason"));
      else if (e.kind == "supervisor_report")
        line =
          fmt::format("supervisor_report  {}: {}, {}", sup, e.field("context"), e.field("reason"));
      else
        line = fmt::format("{}  {}", e.kind, e.text);
      fmt::print("  {}\n", paint("2", "log  " + line));
    }
    events_.clear();
  }

 private:
  std::mutex mtx_;
  std::vector<otp::log_event> events_;
};

std::string label(const otp::tree_node& n) {
  return n.id.empty() ? n.module : n.id;
}

void remember_names(const otp::tree_node& n, std::map<std::string, std::string>& names) {
  names[fmt::format("{}", n.pid)] = label(n);
  for (const auto& c : n.children)
    remember_names(c, names);
}

struct change {
  std::string label;
  otp::pid before;
  otp::pid after;
};

/// The processes of `after` that have a new pid; static children are matched by id,
/// simple_one_for_one children by elimination.
void changes(const otp::tree_node& before, const otp::tree_node& after, std::vector<change>& out) {
  if (before.pid != after.pid)
    out.push_back({label(after), before.pid, after.pid});
  std::vector<const otp::tree_node*> gone;
  std::vector<const otp::tree_node*> fresh;
  auto holds = [](const otp::tree_node& n, const otp::tree_node& child) {
    for (const auto& c : n.children)
      if (child.id.empty() ? c.pid == child.pid : c.id == child.id)
        return &c;
    return static_cast<const otp::tree_node*>(nullptr);
  };
  for (const auto& c : after.children) {
    if (auto* old = holds(before, c); old && !c.id.empty())
      changes(*old, c, out);
    else if (!old)
      fresh.push_back(&c);
  }
  for (const auto& c : before.children)
    if (c.id.empty() && !holds(after, c))
      gone.push_back(&c);
  for (std::size_t i = 0; i < fresh.size() && i < gone.size(); ++i)
    changes(*gone[i], *fresh[i], out);
}

// -- driving the demo --------------------------------------------------------------------------

using snapshot = otp::expected<otp::tree_node, otp::sup_error>;

/// Polls the tree until `done` holds (restarts happen on other threads), at most 2 s.
snapshot wait_for(const otp::sup_ref& app, const std::function<bool(const snapshot&)>& done) {
  auto deadline = std::chrono::steady_clock::now() + 2s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto tree = otp::supervision_tree(app, "app");
    if (done(tree))
      return tree;
    std::this_thread::sleep_for(1ms);
  }
  throw std::runtime_error("the tree did not settle within 2 s");
}

/// The node at `path` (ids; "#N" is the Nth simple_one_for_one child), or null.
const otp::tree_node* find(const snapshot& tree, std::vector<std::string> path) {
  if (!tree)
    return nullptr;
  const otp::tree_node* n = &*tree;
  for (const auto& id : path) {
    const otp::tree_node* next = nullptr;
    for (std::size_t i = 0; i < n->children.size(); ++i)
      if (n->children[i].id == id || id == fmt::format("#{}", i + 1))
        next = &n->children[i];
    if (!next)
      return nullptr;
    n = next;
  }
  return n;
}

bool all_running(const otp::tree_node& n) {
  if (n.state != otp::child_info::status::running)
    return false;
  for (const auto& c : n.children)
    if (!all_running(c))
      return false;
  return true;
}

/// Makes the process throw: a crash, with a crash report. (The pool's children are jobs.)
void crash(const otp::tree_node& n) {
  if (n.id.empty())
    gen_server::cast(otp::server_ref<job>{n.pid}, fault{});
  else
    gen_server::cast(otp::server_ref<service>{n.pid}, fault{});
}

struct demo {
  otp::sup_ref app;
  report_log& reports;
  otp::tree_node tree;
  std::map<std::string, std::string> names;
  int step = 0;

  void heading(std::string_view title, std::string_view why) {
    auto text = fmt::format("── {}. {} ", ++step, title);
    for (auto w = text.size() - 4; w < 96; ++w)  // 4: the bytes "──" takes beyond 2 columns
      text += "─";
    fmt::print("{}{}\n{}\n", step > 0 ? "\n" : "", paint("1", text), why);
  }

  /// Prints the reports, the new tree with its new pids marked (unless `!draw`), and what
  /// changed, which must be the processes named `expected`.
  void show(const otp::tree_node& now, const std::vector<std::string>& expected,
            std::string_view conclusion, bool draw = true) {
    remember_names(now, names);
    reports.flush(names);
    if (draw)
      fmt::print("{}", otp::to_text(now, tree, color));
    std::vector<change> changed;
    changes(tree, now, changed);
    std::vector<std::string> labels;
    fmt::print("{} new pids: ", paint("1", "→"));
    for (std::size_t i = 0; i < changed.size(); ++i) {  // two per line
      const auto& c = changed[i];
      fmt::print("{}{} {} → {}",
                 i == 0       ? ""
                 : i % 2 == 0 ? ",\n            "
                              : ", ",
                 c.label, c.before, paint("1;33", fmt::format("{}", c.after)));
      labels.push_back(c.label);
    }
    fmt::print("\n  {}\n", conclusion);
    if (labels != expected)
      throw std::runtime_error(fmt::format("expected new pids for {}", fmt::join(expected, ", ")));
    tree = now;
  }

  /// Crashes the process at `path`; returns the tree once the process at `path` runs again
  /// with a new pid, or the error once `app` is gone.
  snapshot crash_and_wait(const std::vector<std::string>& path) {
    std::this_thread::sleep_for(speed.pause);
    auto victim = find(tree, path)->pid;
    crash(*find(tree, path));
    return wait_for_new_pid(path, victim);
  }

  /// Sends `n` pieces of work to the process at `path` at once; as `crash_and_wait`.
  snapshot flood_and_wait(const std::vector<std::string>& path, int n) {
    std::this_thread::sleep_for(speed.pause);
    auto victim = find(tree, path)->pid;
    for (int i = 0; i < n; ++i)
      gen_server::cast(otp::server_ref<service>{victim}, work{});
    return wait_for_new_pid(path, victim);
  }

  snapshot wait_for_new_pid(const std::vector<std::string>& path, const otp::pid& victim) {
    return wait_for(app, [&](const snapshot& s) {
      auto* n = find(s, path);
      return !s || (all_running(*s) && n && n->pid != victim);
    });
  }
};

int run(std::string_view format, bool observe) {
  otp::node node;
  report_log reports;
  node.logger().set_sink([&](const otp::log_event& e) { reports.add(e); });

  auto period = speed.period;
  auto app =
    supervisor::start_link(
      node, otp::start_options{.name = "app"},
      {.strategy = otp::strategy::one_for_one, .intensity = 1, .period = period},
      {group("store", {.strategy = otp::strategy::one_for_all, .intensity = 3, .period = period},
             {worker("cache"), bounded_worker("index")}),
       group("pipeline",
             {.strategy = otp::strategy::rest_for_one, .intensity = 2, .period = period},
             {worker("reader"), worker("parser"), worker("writer")}),
       group("workers",
             {.strategy = otp::strategy::simple_one_for_one, .intensity = 5, .period = period},
             {{.id = "job", .start = otp::start_with<job, int>()}})})
      .value();
  auto workers = otp::sup_ref{find(otp::supervision_tree(app, "app"), {"workers"})->pid};
  for (int n = 1; n <= 3; ++n)
    supervisor::start_child(workers, n).value();

  demo d{app, reports, otp::supervision_tree(app, "app").value(), {}, -1};
  if (format == "--dot" || format == "--json") {
    fmt::print("{}", format == "--dot" ? otp::to_dot(d.tree) : otp::to_json(d.tree));
    gen_server::stop(app, otp::exit_reason::shutdown()).value();
    return 0;
  }

  // The observer's I/O thread reads the node; it stops before the node does (declared after).
  std::optional<otp::observer::server> observer;
  if (observe) {
    observer = otp::observer::start(node).value();
    auto lead = speed.pause > 0ms ? 10s : 0s;  // time to open the page
    fmt::print("observer at {}\n  open it in a browser (Trees); the faults begin in {} s.\n",
               paint("1;4", observer->url()), lead.count());
    std::fflush(stdout);
    std::this_thread::sleep_for(lead);
  }

  d.heading("the application starts",
            "Columns: id, kind, pid (* new since the last drawing), restart type, restarts,\n"
            "strategy max-restarts/period (supervisors), state.");
  remember_names(d.tree, d.names);
  fmt::print("{}", otp::to_text(d.tree, color));

  d.heading("cache crashes", "store is one_for_all: cache and index share state, so both restart.");
  d.show(d.crash_and_wait({"store", "cache"}).value(), {"cache", "index"},
         "one_for_all restarted the whole group; the rest of the tree kept its pids.");

  d.heading("parser crashes", "pipeline is rest_for_one: what comes after parser depends on it.");
  d.show(d.crash_and_wait({"pipeline", "parser"}).value(), {"parser", "writer"},
         "rest_for_one restarted parser and writer; reader, before it, kept its pid.");

  d.heading("a job crashes", "workers is simple_one_for_one: jobs are independent.");
  d.show(
    d.crash_and_wait({"workers", "#2"}).value(), {"job"},
    "only that job restarted, with its start_child arguments; it is listed last (newest pid).");

  d.heading("index is flooded",
            "index's mailbox holds 1,000 messages (policy crash); 3,000 casts arrive at once.");
  d.show(d.flood_and_wait({"store", "index"}, 3000).value(), {"cache", "index"},
         "index exited mailbox_full at its 1,001st message; store restarted both.");

  auto in = fmt::format("in {} s", period.count());
  d.heading("parser keeps crashing",
            fmt::format("pipeline allows 2 restarts {}, and used 1 in step 2.", in));
  fmt::print("  crash #1\n");
  d.show(d.crash_and_wait({"pipeline", "parser"}).value(), {"parser", "writer"},
         fmt::format("pipeline restarted parser and writer: its 2nd restart {}.", in), false);
  fmt::print("  crash #2\n");
  d.show(d.crash_and_wait({"pipeline", "parser"}).value(),
         {"pipeline", "reader", "parser", "writer"},
         fmt::format("a 3rd restart {} was too many: pipeline gave up and exited (shutdown); app, "
                     "one_for_one,\n  restarted it: a fresh pipeline, with fresh children and a "
                     "fresh restart budget.",
                     in));

  d.heading(
    "the new parser keeps crashing",
    fmt::format("the new pipeline allows 2 restarts {}; app allows 1 and used it in step 5.", in));
  for (int restart = 1; restart <= 2; ++restart) {
    fmt::print("  crash #{}\n", restart);
    d.show(d.crash_and_wait({"pipeline", "parser"}).value(), {"parser", "writer"},
           fmt::format("pipeline restarted parser and writer: its restart #{}.", restart), false);
  }
  fmt::print("  crash #3\n");
  auto gone = d.crash_and_wait({"pipeline", "parser"});
  if (gone)
    throw std::runtime_error("app should have given up");
  reports.flush(d.names);
  // The last processes deregister just after they answer their last calls.
  for (int i = 0; i < 2000 && node.process_count() > 0; ++i)
    std::this_thread::sleep_for(1ms);
  fmt::print("{} app is gone: which_children fails with {}\n", paint("1", "→"),
             otp::to_string(gone.error().call_kind()));
  fmt::print(
    "  pipeline gave up again, and restarting it would be app's 2nd restart {}: app "
    "gave up too.\n  It stopped store and workers, then exited with reason shutdown; {} "
    "processes are left.\n",
    in, node.process_count());
  if (observer && speed.pause > 0ms) {
    fmt::print("  (the observer serves 10 s more: the page shows no tree now)\n");
    std::fflush(stdout);
    std::this_thread::sleep_for(10s);
  }
  fmt::print("\n{}\n", paint("2",
                             "`supervision_tree --dot | dot -Tsvg > tree.svg` draws the "
                             "tree; `--json` prints it for tools."));
  return 0;
}

int main(int argc, char** argv) {
  std::string_view format;
  bool observe = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--observe") {
      observe = true;
      speed = {.period = 60s, .pause = 3000ms};
    } else if (arg == "--pause" && i + 1 < argc) {
      speed.pause = std::chrono::milliseconds{std::atoi(argv[++i])};
    } else if (arg == "--dot" || arg == "--json") {
      format = arg;
    } else {
      fmt::print(stderr, "usage: supervision_tree [--dot | --json | --observe [--pause MS]]\n");
      return 2;
    }
  }
  try {
    return run(format, observe);
  } catch (const std::exception& e) {
    fmt::print(stderr, "supervision_tree: {}\n", e.what());
    return 1;
  }
}

// Sample output (pids vary from run to run):
//   ── 0. the application starts
//   ─────────────────────────────────────────────────────────────────── Columns: id, kind, pid (*
//   new since the last drawing), restart type, restarts, strategy max-restarts/period
//   (supervisors), state. app           supervisor  <0.4.0>                          one_for_one
//   1/5s         running ├─ store      supervisor  <0.5.0>   permanent  0 restarts  one_for_all
//   3/5s         running │  ├─ cache   worker      <0.6.0>   permanent  0 restarts running │  └─
//   index   worker      <0.7.0>   permanent  0 restarts                           running ├─
//   pipeline   supervisor  <0.8.0>   permanent  0 restarts  rest_for_one 2/5s        running │  ├─
//   reader  worker      <0.9.0>   permanent  0 restarts                           running │  ├─
//   parser  worker      <0.10.0>  permanent  0 restarts                           running │  └─
//   writer  worker      <0.11.0>  permanent  0 restarts                           running └─
//   workers    supervisor  <0.12.0>  permanent  0 restarts  simple_one_for_one 5/5s  running
//      ├─ job     worker      <0.22.0>  permanent  0 restarts                           running
//      ├─ job     worker      <0.24.0>  permanent  0 restarts                           running
//      └─ job     worker      <0.26.0>  permanent  0 restarts                           running
//
//   ── 1. cache crashes
//   ──────────────────────────────────────────────────────────────────────────── store is
//   one_for_all: cache and index share state, so both restart.
//     log  crash_report       cache <0.6.0> exited: {exception,injected fault}
//     log  supervisor_report  store: child_terminated cache <0.6.0>: {exception,injected fault}
//   app           supervisor  <0.4.0>                           one_for_one 1/5s         running
//   ├─ store      supervisor  <0.5.0>    permanent  0 restarts  one_for_all 3/5s         running
//   │  ├─ cache   worker      <0.36.0>*  permanent  1 restart                            running
//   │  └─ index   worker      <0.37.0>*  permanent  1 restart                            running
//   ├─ pipeline   supervisor  <0.8.0>    permanent  0 restarts  rest_for_one 2/5s        running
//   │  ├─ reader  worker      <0.9.0>    permanent  0 restarts                           running
//   │  ├─ parser  worker      <0.10.0>   permanent  0 restarts                           running
//   │  └─ writer  worker      <0.11.0>   permanent  0 restarts                           running
//   └─ workers    supervisor  <0.12.0>   permanent  0 restarts  simple_one_for_one 5/5s  running
//      ├─ job     worker      <0.22.0>   permanent  0 restarts                           running
//      ├─ job     worker      <0.24.0>   permanent  0 restarts                           running
//      └─ job     worker      <0.26.0>   permanent  0 restarts                           running
//   → new pids: cache <0.6.0> → <0.36.0>, index <0.7.0> → <0.37.0>
//     one_for_all restarted the whole group; the rest of the tree kept its pids.
//
//   ── 2. parser crashes
//   ─────────────────────────────────────────────────────────────────────────── pipeline is
//   rest_for_one: what comes after parser depends on it.
//     log  crash_report       parser <0.10.0> exited: {exception,injected fault}
//     log  supervisor_report  pipeline: child_terminated parser <0.10.0>: {exception,injected
//     fault}
//   app           supervisor  <0.4.0>                           one_for_one 1/5s         running
//   ├─ store      supervisor  <0.5.0>    permanent  0 restarts  one_for_all 3/5s         running
//   │  ├─ cache   worker      <0.36.0>   permanent  1 restart                            running
//   │  └─ index   worker      <0.37.0>   permanent  1 restart                            running
//   ├─ pipeline   supervisor  <0.8.0>    permanent  0 restarts  rest_for_one 2/5s        running
//   │  ├─ reader  worker      <0.9.0>    permanent  0 restarts                           running
//   │  ├─ parser  worker      <0.46.0>*  permanent  1 restart                            running
//   │  └─ writer  worker      <0.47.0>*  permanent  1 restart                            running
//   └─ workers    supervisor  <0.12.0>   permanent  0 restarts  simple_one_for_one 5/5s  running
//      ├─ job     worker      <0.22.0>   permanent  0 restarts                           running
//      ├─ job     worker      <0.24.0>   permanent  0 restarts                           running
//      └─ job     worker      <0.26.0>   permanent  0 restarts                           running
//   → new pids: parser <0.10.0> → <0.46.0>, writer <0.11.0> → <0.47.0>
//     rest_for_one restarted parser and writer; reader, before it, kept its pid.
//
//   ── 3. a job crashes
//   ──────────────────────────────────────────────────────────────────────────── workers is
//   simple_one_for_one: jobs are independent.
//     log  crash_report       job <0.24.0> exited: {exception,injected fault}
//     log  supervisor_report  workers: child_terminated job <0.24.0>: {exception,injected fault}
//   app           supervisor  <0.4.0>                           one_for_one 1/5s         running
//   ├─ store      supervisor  <0.5.0>    permanent  0 restarts  one_for_all 3/5s         running
//   │  ├─ cache   worker      <0.36.0>   permanent  1 restart                            running
//   │  └─ index   worker      <0.37.0>   permanent  1 restart                            running
//   ├─ pipeline   supervisor  <0.8.0>    permanent  0 restarts  rest_for_one 2/5s        running
//   │  ├─ reader  worker      <0.9.0>    permanent  0 restarts                           running
//   │  ├─ parser  worker      <0.46.0>   permanent  1 restart                            running
//   │  └─ writer  worker      <0.47.0>   permanent  1 restart                            running
//   └─ workers    supervisor  <0.12.0>   permanent  0 restarts  simple_one_for_one 5/5s  running
//      ├─ job     worker      <0.22.0>   permanent  0 restarts                           running
//      ├─ job     worker      <0.26.0>   permanent  0 restarts                           running
//      └─ job     worker      <0.56.0>*  permanent  1 restart                            running
//   → new pids: job <0.24.0> → <0.56.0>
//     only that job restarted, with its start_child arguments; it is listed last (newest pid).
//
//   ── 4. index is flooded
//   ────────────────────────────────────────────────────────────────────────── index's mailbox
//   holds 1,000 messages (policy crash); 3,000 casts arrive at once.
//     log  mailbox_high_water  mailbox of <0.36.0> reached 750 messages (limit 1000, overflow
//     crash) log  mailbox_overflow  mailbox of <0.36.0> is full (1000 messages): the process exits
//     log  supervisor_report  store: child_terminated index <0.36.0>: mailbox_full
//   (the tree, as above, with cache and index on new pids and 2 restarts each)
//   → new pids: cache <0.35.0> → <0.65.0>, index <0.36.0> → <0.66.0>
//     index exited mailbox_full at its 1,001st message; store restarted both.
//
//   ── 5. parser keeps crashing
//   ──────────────────────────────────────────────────────────────────── pipeline allows 2 restarts
//   in 5 s, and used 1 in step 2.
//     crash #1
//     log  crash_report       parser <0.46.0> exited: {exception,injected fault}
//     log  supervisor_report  pipeline: child_terminated parser <0.46.0>: {exception,injected
//     fault}
//   → new pids: parser <0.46.0> → <0.65.0>, writer <0.47.0> → <0.66.0>
//     pipeline restarted parser and writer: its 2nd restart in 5 s.
//     crash #2
//     log  crash_report       parser <0.65.0> exited: {exception,injected fault}
//     log  supervisor_report  pipeline: child_terminated parser <0.65.0>: {exception,injected
//     fault} log  supervisor_report  pipeline: shutdown, reached_max_restart_intensity log
//     supervisor_report  app: child_terminated pipeline <0.8.0>: shutdown
//   app           supervisor  <0.4.0>                           one_for_one 1/5s         running
//   ├─ store      supervisor  <0.5.0>    permanent  0 restarts  one_for_all 3/5s         running
//   │  ├─ cache   worker      <0.36.0>   permanent  1 restart                            running
//   │  └─ index   worker      <0.37.0>   permanent  1 restart                            running
//   ├─ pipeline   supervisor  <0.78.0>*  permanent  1 restart   rest_for_one 2/5s        running
//   │  ├─ reader  worker      <0.80.0>*  permanent  0 restarts                           running
//   │  ├─ parser  worker      <0.81.0>*  permanent  0 restarts                           running
//   │  └─ writer  worker      <0.82.0>*  permanent  0 restarts                           running
//   └─ workers    supervisor  <0.12.0>   permanent  0 restarts  simple_one_for_one 5/5s  running
//      ├─ job     worker      <0.22.0>   permanent  0 restarts                           running
//      ├─ job     worker      <0.26.0>   permanent  0 restarts                           running
//      └─ job     worker      <0.56.0>   permanent  1 restart                            running
//   → new pids: pipeline <0.8.0> → <0.78.0>, reader <0.9.0> → <0.80.0>,
//               parser <0.65.0> → <0.81.0>, writer <0.66.0> → <0.82.0>
//     a 3rd restart in 5 s was too many: pipeline gave up and exited (shutdown); app, one_for_one,
//     restarted it: a fresh pipeline, with fresh children and a fresh restart budget.
//
//   ── 6. the new parser keeps crashing
//   ──────────────────────────────────────────────────────────── the new pipeline allows 2 restarts
//   in 5 s; app allows 1 and used it in step 5.
//     crash #1
//     log  crash_report       parser <0.81.0> exited: {exception,injected fault}
//     log  supervisor_report  pipeline: child_terminated parser <0.81.0>: {exception,injected
//     fault}
//   → new pids: parser <0.81.0> → <0.94.0>, writer <0.82.0> → <0.95.0>
//     pipeline restarted parser and writer: its restart #1.
//     crash #2
//     log  crash_report       parser <0.94.0> exited: {exception,injected fault}
//     log  supervisor_report  pipeline: child_terminated parser <0.94.0>: {exception,injected
//     fault}
//   → new pids: parser <0.94.0> → <0.103.0>, writer <0.95.0> → <0.104.0>
//     pipeline restarted parser and writer: its restart #2.
//     crash #3
//     log  crash_report       parser <0.103.0> exited: {exception,injected fault}
//     log  supervisor_report  pipeline: child_terminated parser <0.103.0>: {exception,injected
//     fault} log  supervisor_report  pipeline: shutdown, reached_max_restart_intensity log
//     supervisor_report  app: child_terminated pipeline <0.78.0>: shutdown log  supervisor_report
//     app: shutdown, reached_max_restart_intensity
//   → app is gone: which_children fails with noproc
//     pipeline gave up again, and restarting it would be app's 2nd restart in 5 s: app gave up too.
//     It stopped store and workers, then exited with reason shutdown; 0 processes are left.
//
//   `supervision_tree --dot | dot -Tsvg > tree.svg` draws the tree; `--json` prints it for tools.
