// gen_server throughput, caf-otp against raw CAF on the same actor system (see README.md).
//
//   gen_server_bench [--calls N] [--casts N] [--blocking N] [--reps R]
//                    [--threads T] [--policy stealing|sharing] [--no-timeout-calls]
//                    [--only NAME-SUBSTRING]
//
// Each repetition runs every configuration once, in a fixed order, against fresh servers, so
// machine noise hits all of them alike. Results are printed as `RESULT <name> <value> <unit>`
// (median over the repetitions, plus `<name>_min` and `<name>_max`), like bench/erlang, and
// each caf-otp/raw CAF pair as the median of its per-repetition ratios (`<a>_vs_caf`).

#include <otp/gen_server.hpp>
#include <otp/node.hpp>

#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/send.hpp>
#include <caf/stateful_actor.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <future>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gen_server = otp::gen_server;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr std::uint64_t warmup_n = 10'000;

// -- caf-otp side ----------------------------------------------------------------------------

struct add {
  int n;
};
struct get {};

/// The server under test: the same counter as bench/erlang/gen_server_bench.erl.
struct counter {
  int value = 0;
  int handle_call(const add& a) { return value += a.n; }
  int handle_call(const get&) { return value; }
  void handle_cast(const add& a) { value += a.n; }
};

struct start_calls {
  otp::server_ref<counter> target;
  std::uint64_t n;
  otp::timeout t;
  std::promise<int>* done;
};

/// Makes `n` sequential async_calls, each issued from the previous one's reply callback.
struct call_client {
  otp::server_ref<counter> target;
  std::uint64_t left = 0;
  otp::timeout t = otp::infinity;
  std::promise<int>* done = nullptr;

  void handle_cast(const start_calls& s) {
    target = s.target;
    left = s.n;
    t = s.t;
    done = s.done;
    next();
  }

  void next() {
    gen_server::async_call(target, add{1}, t, [this](otp::expected<int, otp::call_error> r) {
      if (!r) {
        done->set_exception(std::make_exception_ptr(std::runtime_error("async_call failed")));
        return;
      }
      if (--left == 0)
        done->set_value(*r);
      else
        next();
    });
  }
};

// -- raw CAF side ----------------------------------------------------------------------------

using go_atom = caf::atom_constant<caf::atom("bench_go")>;
using get_atom = caf::atom_constant<caf::atom("bench_get")>;

caf::behavior raw_adder() {
  return {[](int x) { return x + 1; }};
}

struct raw_client_state {
  caf::actor server;
  std::uint64_t left = 0;
  caf::duration t;
  std::promise<int>* done = nullptr;
};
using raw_client_actor = caf::stateful_actor<raw_client_state>;

void raw_next(raw_client_actor* self, int x) {
  self->request(self->state.server, self->state.t, x)
    .then(
      [self](int r) {
        if (--self->state.left == 0)
          self->state.done->set_value(r);
        else
          raw_next(self, r);
      },
      [self](caf::error&) {
        self->state.done->set_exception(
          std::make_exception_ptr(std::runtime_error("raw request failed")));
      });
}

caf::behavior raw_client(raw_client_actor* self, caf::actor server, std::uint64_t n,
                         caf::duration t, std::promise<int>* done) {
  self->state.server = std::move(server);
  self->state.left = n;
  self->state.t = t;
  self->state.done = done;
  return {[self](go_atom) { raw_next(self, 0); }};
}

struct raw_counter_state {
  int count = 0;
};

caf::behavior raw_counter(caf::stateful_actor<raw_counter_state>* self) {
  return {
    [self](int x) { self->state.count += x; },
    [self](get_atom) { return self->state.count; },
  };
}

// -- measurements: each returns operations per second ----------------------------------------

double per_second(std::uint64_t n, clock_type::duration d) {
  return static_cast<double>(n) / std::chrono::duration<double>(d).count();
}

void expect_count(const char* what, long long got, std::uint64_t n) {
  if (got != static_cast<long long>(n)) {
    std::fprintf(stderr, "%s: wrong final count %lld, expected %llu\n", what, got,
                 static_cast<unsigned long long>(n));
    std::exit(1);
  }
}

double otp_call(otp::node& node, std::uint64_t n, otp::timeout t) {
  auto server = gen_server::start<counter>(node).value();
  auto client = gen_server::start<call_client>(node).value();
  std::promise<int> done;
  auto fut = done.get_future();
  auto start = clock_type::now();
  gen_server::cast(client, start_calls{server, n, t, &done});
  int last = fut.get();
  auto took = clock_type::now() - start;
  expect_count("gen_server call", last, n);
  (void)gen_server::stop(client);
  (void)gen_server::stop(server);
  return per_second(n, took);
}

double raw_call(otp::node& node, std::uint64_t n, otp::timeout t) {
  auto& sys = node.system();
  auto server = sys.spawn(raw_adder);
  std::promise<int> done;
  auto fut = done.get_future();
  auto dur = t == otp::infinity ? caf::duration{caf::infinite} : caf::duration{t};
  auto client = sys.spawn(raw_client, server, n, dur, &done);
  auto start = clock_type::now();
  caf::anon_send(client, go_atom::value);
  int last = fut.get();
  auto took = clock_type::now() - start;
  expect_count("raw CAF request", last, n);
  caf::anon_send_exit(client, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(server, caf::exit_reason::user_shutdown);
  return per_second(n, took);
}

double otp_cast(otp::node& node, std::uint64_t n) {
  auto server = gen_server::start<counter>(node).value();
  auto start = clock_type::now();
  for (std::uint64_t i = 0; i < n; ++i)
    gen_server::cast(server, add{1});
  int total = gen_server::call(server, get{}, otp::infinity);
  auto took = clock_type::now() - start;
  expect_count("gen_server cast", total, n);
  (void)gen_server::stop(server);
  return per_second(n, took);
}

double raw_send(otp::node& node, std::uint64_t n) {
  auto& sys = node.system();
  auto server = sys.spawn(raw_counter);
  caf::scoped_actor self{sys};
  auto start = clock_type::now();
  for (std::uint64_t i = 0; i < n; ++i)
    caf::anon_send(server, 1);
  int total = -1;
  self->request(server, caf::infinite, get_atom::value)
    .receive([&](int v) { total = v; }, [&](caf::error&) {});
  auto took = clock_type::now() - start;
  expect_count("raw CAF send", total, n);
  caf::anon_send_exit(server, caf::exit_reason::user_shutdown);
  return per_second(n, took);
}

double otp_blocking_call(otp::node& node, std::uint64_t n) {
  auto server = gen_server::start<counter>(node).value();
  int last = 0;
  auto start = clock_type::now();
  for (std::uint64_t i = 0; i < n; ++i)
    last = gen_server::call(server, add{1});
  auto took = clock_type::now() - start;
  expect_count("blocking gen_server call", last, n);
  (void)gen_server::stop(server);
  return per_second(n, took);
}

// -- driver ----------------------------------------------------------------------------------

struct options {
  std::uint64_t calls = 1'000'000;
  std::uint64_t casts = 5'000'000;
  std::uint64_t blocking = 100'000;
  std::uint64_t reps = 5;
  std::size_t threads = 2;
  otp::scheduler_policy policy = otp::scheduler_policy::stealing;
  bool timeout_calls = true;
  std::string only;  // run only the configurations whose name contains this
};

[[noreturn]] void usage(const char* msg) {
  std::fprintf(stderr,
               "%s\nusage: gen_server_bench [--calls N] [--casts N] [--blocking N] [--reps R]\n"
               "                        [--threads T] [--policy stealing|sharing]"
               " [--no-timeout-calls]\n"
               "                        [--only NAME-SUBSTRING]\n",
               msg);
  std::exit(2);
}

std::uint64_t positive(const char* flag, const char* arg) {
  if (!arg)
    usage((std::string{flag} + " needs a value").c_str());
  char* end = nullptr;
  auto v = std::strtoull(arg, &end, 10);
  if (*arg == '\0' || *end != '\0' || v == 0)
    usage((std::string{flag} + ": not a positive integer: " + arg).c_str());
  return v;
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    const char* v = i + 1 < argc ? argv[i + 1] : nullptr;
    if (a == "--calls") {
      o.calls = positive(argv[i], v), ++i;
    } else if (a == "--casts") {
      o.casts = positive(argv[i], v), ++i;
    } else if (a == "--blocking") {
      o.blocking = positive(argv[i], v), ++i;
    } else if (a == "--reps") {
      o.reps = positive(argv[i], v), ++i;
    } else if (a == "--threads") {
      o.threads = positive(argv[i], v), ++i;
    } else if (a == "--policy") {
      std::string_view p = v ? v : "";
      if (p == "stealing")
        o.policy = otp::scheduler_policy::stealing;
      else if (p == "sharing")
        o.policy = otp::scheduler_policy::sharing;
      else
        usage("--policy: stealing or sharing");
      ++i;
    } else if (a == "--only") {
      if (!v)
        usage("--only needs a value");
      o.only = v;
      ++i;
    } else if (a == "--no-timeout-calls") {
      o.timeout_calls = false;
    } else if (a == "-h" || a == "--help") {
      usage("");
    } else {
      usage((std::string{"unknown argument: "} + argv[i]).c_str());
    }
  }
  return o;
}

struct config {
  std::string name;
  std::string unit;
  std::string label;
  std::function<double()> run;
  std::function<double()> warm;
  std::vector<double> values;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto m = v.size() / 2;
  return v.size() % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

void result(const std::string& name, double value, const std::string& unit) {
  if (unit == "x")
    std::printf("RESULT %s %.3f %s\n", name.c_str(), value, unit.c_str());
  else
    std::printf("RESULT %s %.0f %s\n", name.c_str(), std::round(value), unit.c_str());
}

void report(const std::string& name, const std::vector<double>& values, const std::string& unit) {
  result(name, median(values), unit);
  result(name + "_min", *std::min_element(values.begin(), values.end()), unit);
  result(name + "_max", *std::max_element(values.begin(), values.end()), unit);
}

/// Noise on this machine comes in bursts longer than one configuration but shorter than a
/// repetition: the ratio within each repetition is steadier than the ratio of the medians.
void report_paired(const std::vector<config>& configs, const std::string& otp_name,
                   const std::string& caf_name, const std::string& name) {
  const config* a = nullptr;
  const config* b = nullptr;
  for (const auto& c : configs) {
    if (c.name == otp_name)
      a = &c;
    if (c.name == caf_name)
      b = &c;
  }
  if (!a || !b)
    return;
  std::vector<double> ratios;
  for (std::size_t i = 0; i < a->values.size(); ++i)
    ratios.push_back(a->values[i] / b->values[i]);
  report(name, ratios, "x");
}

}  // namespace

int main(int argc, char** argv) {
  auto opts = parse(argc, argv);
  otp::node node{otp::node_options{.threads = opts.threads, .policy = opts.policy}};
  const auto five_s = otp::default_call_timeout;
  auto wc = std::min(opts.calls, warmup_n);
  auto ws = std::min(opts.casts, warmup_n);
  auto wb = std::min(opts.blocking, warmup_n / 10);

  std::vector<config> configs;
  auto add_config = [&](std::string name, std::string unit, std::string label,
                        std::function<double(std::uint64_t)> f, std::uint64_t n,
                        std::uint64_t warm_n) {
    if (!opts.only.empty() && name.find(opts.only) == std::string::npos)
      return;
    configs.push_back({std::move(name),
                       std::move(unit),
                       std::move(label),
                       [f, n] { return f(n); },
                       [f, warm_n] { return f(warm_n); },
                       {}});
  };
  auto& nd = node;
  add_config(
    "cafotp_call_rt_per_s", "rt/s", "gen_server async_call, infinity",
    [&nd](std::uint64_t n) { return otp_call(nd, n, otp::infinity); }, opts.calls, wc);
  add_config(
    "caf_call_rt_per_s", "rt/s", "CAF request.then, infinite",
    [&nd](std::uint64_t n) { return raw_call(nd, n, otp::infinity); }, opts.calls, wc);
  if (opts.timeout_calls) {
    add_config(
      "cafotp_call5s_rt_per_s", "rt/s", "gen_server async_call, 5 s timeout",
      [&nd, five_s](std::uint64_t n) { return otp_call(nd, n, five_s); }, opts.calls, wc);
    add_config(
      "caf_call5s_rt_per_s", "rt/s", "CAF request.then, 5 s timeout",
      [&nd, five_s](std::uint64_t n) { return raw_call(nd, n, five_s); }, opts.calls, wc);
  }
  add_config(
    "cafotp_cast_msgs_per_s", "msgs/s", "gen_server cast + call(get)",
    [&nd](std::uint64_t n) { return otp_cast(nd, n); }, opts.casts, ws);
  add_config(
    "caf_send_msgs_per_s", "msgs/s", "CAF anon_send + request(get)",
    [&nd](std::uint64_t n) { return raw_send(nd, n); }, opts.casts, ws);
  add_config(
    "cafotp_blocking_call_rt_per_s", "rt/s", "blocking gen_server call from a thread",
    [&nd](std::uint64_t n) { return otp_blocking_call(nd, n); }, opts.blocking, wb);

  std::printf(
    "gen_server_bench: calls N = %llu, casts N = %llu, blocking N = %llu, R = %llu, "
    "threads = %zu, policy = %s\n",
    static_cast<unsigned long long>(opts.calls), static_cast<unsigned long long>(opts.casts),
    static_cast<unsigned long long>(opts.blocking), static_cast<unsigned long long>(opts.reps),
    opts.threads, opts.policy == otp::scheduler_policy::sharing ? "sharing" : "stealing");
  for (auto& c : configs)
    (void)c.warm();
  for (std::uint64_t rep = 1; rep <= opts.reps; ++rep) {
    for (auto& c : configs) {
      auto v = c.run();
      c.values.push_back(v);
      std::printf("  rep %llu/%llu %-40s %12.0f %s\n", static_cast<unsigned long long>(rep),
                  static_cast<unsigned long long>(opts.reps), c.label.c_str(), v, c.unit.c_str());
      std::fflush(stdout);
    }
  }
  for (const auto& c : configs)
    report(c.name, c.values, c.unit);
  report_paired(configs, "cafotp_call_rt_per_s", "caf_call_rt_per_s", "cafotp_call_vs_caf");
  report_paired(configs, "cafotp_call5s_rt_per_s", "caf_call5s_rt_per_s", "cafotp_call5s_vs_caf");
  report_paired(configs, "cafotp_cast_msgs_per_s", "caf_send_msgs_per_s", "cafotp_cast_vs_caf");
  return 0;
}
