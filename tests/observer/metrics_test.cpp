// Ensure that /metrics is valid Prometheus text (every sample of a declared family, well-formed
// labels and values) and that its numbers are the node's: processes, messages handled, a
// supervisor's restart after one of its children crashed, the crash's reason.

#include "eventually.hpp"
#include "http_client.hpp"
#include "net_client.hpp"
#include "servers.hpp"

#include <otp/net/listener.hpp>
#include <otp/observer.hpp>
#include <otp/supervision_tree.hpp>
#include <otp/supervisor.hpp>
#include <otp/sys.hpp>
#include "runtime/node_reports.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <netinet/in.h>
#include <sys/socket.h>

#include <cctype>
#include <chrono>
#include <map>
#include <set>
#include <sstream>
#include <thread>

using namespace observer_test;
namespace observer = otp::observer;

namespace {

bool name_char(char c, bool first) {
  return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':'
         || (!first && std::isdigit(static_cast<unsigned char>(c)));
}

/// Consumes a metric (or, without colons, label) name at `i`; false if there is none.
bool take_name(const std::string& s, std::size_t& i) {
  auto start = i;
  while (i < s.size() && name_char(s[i], i == start))
    ++i;
  return i > start;
}

/// Consumes `{name="value",...}` at `i`, with \\, \" and \n escapes in values.
bool take_labels(const std::string& s, std::size_t& i) {
  if (s[i] != '{')
    return true;
  for (++i;;) {
    if (!take_name(s, i) || s.compare(i, 2, "=\"") != 0)
      return false;
    for (i += 2; i < s.size() && s[i] != '"'; ++i)
      if (s[i] == '\\' && (++i >= s.size() || (s[i] != '\\' && s[i] != '"' && s[i] != 'n')))
        return false;
    if (++i >= s.size())
      return false;
    if (s[i] == '}')
      return ++i, true;
    if (s[i++] != ',')
      return false;
  }
}

double value_of(const std::string& text) {
  if (text == "+Inf" || text == "-Inf" || text == "NaN")
    return text == "NaN" ? 0 : 1e308;
  std::size_t used = 0;
  auto v = std::stod(text, &used);
  if (used != text.size())
    throw std::runtime_error("bad value: " + text);
  return v;
}

/// Prometheus' text exposition format, strictly: `# HELP`/`# TYPE` lines, then samples of the
/// declared families. Returns "name{labels}" → value; throws on a malformed line.
std::map<std::string, double> parse_prometheus(const std::string& text) {
  std::map<std::string, std::string> families;
  std::map<std::string, double> samples;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("# HELP "))
      continue;
    if (line.starts_with("# TYPE ")) {
      std::istringstream words{line.substr(7)};
      std::string name, type, rest;
      words >> name >> type;
      std::size_t i = 0;
      if (!take_name(name, i) || i != name.size() || (words >> rest)
          || (type != "gauge" && type != "counter" && type != "histogram")
          || !families.emplace(name, type).second)
        throw std::runtime_error("bad TYPE line: " + line);
      continue;
    }
    std::size_t i = 0;
    if (!take_name(line, i))
      throw std::runtime_error("malformed line: " + line);
    auto name = line.substr(0, i);
    if (i < line.size() && !take_labels(line, i))
      throw std::runtime_error("bad labels: " + line);
    if (i >= line.size() || line[i] != ' ')
      throw std::runtime_error("no value: " + line);
    auto family = name;
    for (std::string_view suffix : {"_bucket", "_sum", "_count"})
      if (!families.contains(name) && name.ends_with(suffix))
        family = name.substr(0, name.size() - suffix.size());
    if (!families.contains(family) || (family != name && families[family] != "histogram"))
      throw std::runtime_error("sample of an undeclared family: " + line);
    samples[line.substr(0, i)] = value_of(line.substr(i + 1));
  }
  return samples;
}

double sum_of(const std::map<std::string, double>& samples, std::string_view prefix) {
  double sum = 0;
  for (const auto& [key, value] : samples)
    if (key.starts_with(prefix))
      sum += value;
  return sum;
}

}  // namespace

TEST_CASE("/metrics parses as Prometheus text and matches the node after N restarts") {
  constexpr int n = 5;
  otp::node node{{.threads = 2}};
  node.logger().set_sink([](const otp::log_event&) {});  // the crash reports are expected
  auto obs = observer::start(node).value();
  std::vector<otp::child_spec> children;
  for (int i = 0; i < n; ++i)
    children.push_back({.id = fmt::format("w{}", i), .start = otp::start_with<pinger>()});
  auto top = otp::supervisor::start_link(node, {.name = "top"}, {.intensity = 5}, children).value();
  otp::gen_server::call(
    otp::server_ref<pinger>{otp::supervision_tree(top, "top").value().children[0].pid}, ping{});
  // N = 3 restarts, one at a time: w2, w4, w2 again.
  const int crashes[] = {2, 4, 2};
  for (int c : crashes) {
    auto before = otp::supervision_tree(top, "top").value().children[c];
    otp::gen_server::cast(otp::server_ref<pinger>{before.pid}, boom{});
    REQUIRE(test_util::eventually([&] {
      auto t = otp::supervision_tree(top, "top");
      return t && t->children[c].restarts == before.restarts + 1
             && t->children[c].pid != before.pid;
    }));
  }
  auto tree = otp::supervision_tree(top, "top").value();
  CHECK(tree.children[2].restarts == 2);
  CHECK(tree.children[4].restarts == 1);

  // What the processes say of themselves, before /metrics asks the supervisor anything.
  std::uint64_t handled = 0;
  for (const auto& name : std::vector<otp::pid>{top}) {
    auto s = otp::sys::get_status(name).value();
    handled += s.calls + s.casts + s.infos;
  }
  for (const auto& child : otp::supervision_tree(top, "top").value().children) {
    auto s = otp::sys::get_status(child.pid).value();
    handled += s.calls + s.casts + s.infos;
  }
  // The walk above made two calls on the supervisor (get_flags, which_children) after its
  // get_status: count them in.
  handled += 2;

  auto r = get(obs.port(), "/metrics");
  REQUIRE(r.status == 200);
  CHECK(r.head.find("text/plain; version=0.0.4") != std::string::npos);
  std::map<std::string, double> m;
  REQUIRE_NOTHROW(m = parse_prometheus(r.body));
  CHECK(m["otp_processes"] == n + 1);
  CHECK(m["otp_processes"] == static_cast<double>(node.process_count()));
  CHECK(m["otp_messages_handled"] == static_cast<double>(handled));
  CHECK(m["otp_scheduler_threads"] == 2);
  CHECK(m["otp_memory_resident_bytes"] > 0);
  CHECK(m[fmt::format("otp_supervisor_restarts{{supervisor=\"{}\",id=\"top\"}}", top)] == 3);
  CHECK(m["otp_supervisor_child_terminations_total{supervisor=\"top\",reason=\"{exception,boom}\"}"]
        == 3);
  CHECK(sum_of(m, "otp_supervisor_child_terminations_total{supervisor=\"top\"") == 3);
  CHECK(sum_of(m, "otp_supervisor_max_intensity_shutdowns_total") == 0);
  CHECK(m["otp_mailbox_length_count"] == 0);  // no bounded mailbox here
  INFO(r.body);

  auto trees = get(obs.port(), "/api/trees");
  CHECK(trees.status == 200);
  CHECK(trees.body.find("\"id\": \"top\"") != std::string::npos);
  CHECK(trees.body.find("\"restarts\": 2") != std::string::npos);
}

TEST_CASE("a supervisor that reaches its max restart intensity is counted") {
  otp::node node{{.threads = 2}};
  node.logger().set_sink([](const otp::log_event&) {});
  observer::restart_stats stats{node};
  auto top = otp::supervisor::start_link(node, {.name = "fragile"}, {.intensity = 0},
                                         {{.id = "w", .start = otp::start_with<pinger>()}})
               .value();
  auto child = otp::supervision_tree(top).value().children[0].pid;
  otp::gen_server::cast(otp::server_ref<pinger>{child}, boom{});
  REQUIRE(test_util::eventually([&] {
    auto s = stats.snapshot();
    return s.contains("fragile") && s["fragile"].max_intensity_shutdowns == 1;
  }));
  CHECK(stats.snapshot()["fragile"].total == 1);
}

TEST_CASE("the test's Prometheus parser refuses what Prometheus refuses") {
  CHECK_THROWS(parse_prometheus("undeclared 1\n"));
  CHECK_THROWS(parse_prometheus("# TYPE x gauge\nx{a=1} 2\n"));
  CHECK_THROWS(parse_prometheus("# TYPE x gauge\nx 2 3 4\n"));
  CHECK_THROWS(parse_prometheus("# TYPE x gauge\nx_bucket{le=\"1\"} 2\n"));
  CHECK_THROWS(parse_prometheus("# TYPE x gauge\n# TYPE x counter\n"));
  auto ok = parse_prometheus("# TYPE h histogram\nh_bucket{le=\"+Inf\",a=\"q\\\"\"} 2\nh_sum 3\n");
  CHECK(ok["h_sum"] == 3);
}

namespace {

/// What distribution and a listener would report: fixed figures to check the rendering.
otp::detail::dist_report two_peers() {
  otp::detail::dist_report d{"alpha@localhost", std::chrono::milliseconds{60'000}, {}};
  d.peers.push_back({.name = "beta@localhost",
                     .via = "tcp",
                     .connected_for = std::chrono::milliseconds{5000},
                     .bytes_in = 1234,
                     .bytes_out = 5678,
                     .last_heard = std::chrono::milliseconds{100}});
  d.peers.push_back({.name = "gamma@localhost",
                     .via = "tcp",
                     .connected_for = std::chrono::milliseconds{7000},
                     .bytes_in = 1,
                     .bytes_out = 2,
                     .last_heard = std::chrono::milliseconds{40'000}});
  d.peers.push_back({.name = "delta@localhost", .via = "uds"});
  return d;
}

/// Clears the node's reporters when the test ends, passed or not.
struct reporters_set {
  otp::node& n;
  ~reporters_set() {
    otp::detail::set_dist_reporter(n, {});
    otp::detail::set_listener_reporter(n, {});
  }
};

}  // namespace

TEST_CASE("/metrics and /api/node: scheduler utilisation, connected nodes and listeners") {
  otp::node node{{.threads = 2}};
  auto obs = observer::start(node).value();
  auto before = parse_prometheus(get(obs.port(), "/metrics").body);
  CHECK(before["otp_dist_nodes"] == 0);
  CHECK(get(obs.port(), "/api/node").body.find("\"distribution\": null") != std::string::npos);
  for (std::string thread : {"0", "1"}) {
    auto busy = before.at("otp_scheduler_utilisation{thread=\"" + thread + "\"}");
    CHECK(busy >= 0);
    CHECK(busy <= 1);
    CHECK(before.contains("otp_scheduler_busy_seconds_total{thread=\"" + thread + "\"}"));
  }

  reporters_set cleanup{node};
  otp::detail::set_dist_reporter(node, two_peers);
  otp::detail::set_listener_reporter(node, [] {
    using namespace std::chrono_literals;
    return std::vector<otp::detail::listener_report>{
      {.name = "echo",
       .connections = 3,
       .free_acceptors = 7,
       .max_connections = 100,
       .accepted = 40,
       .queued = 5,
       .backlog_drops = 2,
       .limit_reached = 4,
       .full_time = 1500ms},
      {.name = "open", .connections = 1, .accepted = 1}};  // max_connections unlimited
  });
  auto m = parse_prometheus(get(obs.port(), "/metrics").body);
  CHECK(m["otp_dist_nodes"] == 3);
  CHECK(m["otp_dist_received_bytes_total{node=\"beta@localhost\"}"] == 1234);
  CHECK(m["otp_dist_sent_bytes_total{node=\"beta@localhost\"}"] == 5678);
  CHECK(m["otp_dist_last_heard_seconds{node=\"beta@localhost\"}"] == doctest::Approx(0.1));
  CHECK(m["otp_dist_tick_late{node=\"beta@localhost\"}"] == 0);
  CHECK(m["otp_dist_tick_late{node=\"gamma@localhost\"}"] == 1);
  CHECK_FALSE(m.contains("otp_dist_received_bytes_total{node=\"delta@localhost\"}"));
  CHECK(m["otp_listener_connections{listener=\"echo\"}"] == 3);
  CHECK(m["otp_listener_free_acceptors{listener=\"echo\"}"] == 7);
  CHECK(m["otp_listener_max_connections{listener=\"echo\"}"] == 100);
  CHECK(m["otp_listener_accepts_total{listener=\"echo\"}"] == 40);
  CHECK(m["otp_listener_backlog_drops_total{listener=\"echo\"}"] == 2);
  CHECK(m["otp_listener_queued{listener=\"echo\"}"] == 5);
  CHECK(m["otp_listener_limit_reached_total{listener=\"echo\"}"] == 4);
  CHECK(m["otp_listener_full_seconds_total{listener=\"echo\"}"] == 1.5);
  // Unlimited: +Inf, not the largest size_t.
  CHECK(
    get(obs.port(), "/metrics").body.find("otp_listener_max_connections{listener=\"open\"} +Inf\n")
    != std::string::npos);
  CHECK(m["otp_listener_connections{listener=\"open\"}"] == 1);
  CHECK(m["otp_listener_full_seconds_total{listener=\"open\"}"] == 0);

  auto json = get(obs.port(), "/api/node").body;
  CHECK(json.find("\"self\": \"alpha@localhost\", \"tick_time_ms\": 60000") != std::string::npos);
  CHECK(json.find("\"name\": \"beta@localhost\", \"via\": \"tcp\", \"connected_ms\": 5000, "
                  "\"bytes_in\": 1234, \"bytes_out\": 5678, \"last_heard_ms\": 100, "
                  "\"tick\": \"ok\"")
        != std::string::npos);
  CHECK(json.find("\"last_heard_ms\": 40000, \"tick\": \"late\"") != std::string::npos);
  CHECK(json.find("\"bytes_in\": null, \"bytes_out\": null, \"last_heard_ms\": null, "
                  "\"tick\": \"unknown\"")
        != std::string::npos);
  CHECK(json.find("\"listeners\": [{\"name\": \"echo\", \"connections\": 3, \"free_acceptors\": 7, "
                  "\"max_connections\": 100, \"accepted\": 40, \"limit_reached\": 4, "
                  "\"full_seconds\": 1.500, \"queued\": 5, \"backlog_drops\": 2}")
        != std::string::npos);
  CHECK(json.find("{\"name\": \"open\", \"connections\": 1, \"free_acceptors\": 0, "
                  "\"max_connections\": null, ")
        != std::string::npos);
  CHECK(json.find("\"scheduler_utilisation\": [") != std::string::npos);
}

namespace {

/// A connection handler that holds its socket until the peer closes it.
struct holder {
  otp::net::socket sock;
  explicit holder(otp::net::socket s) : sock(std::move(s)) {
    sock.set_active(otp::net::active::once);  // so that the peer's close arrives: it stops
  }
};

/// Starts a TCP connect without waiting for it: one the kernel drops stays in progress.
test_net::client connect_nowait(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  (void)::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);  // EINPROGRESS
  return test_net::client{fd};
}

double sample(std::uint16_t port, const std::string& name,
              const std::string& listener = "limited") {
  auto m = parse_prometheus(get(port, "/metrics").body);
  auto i = m.find(name + "{listener=\"" + listener + "\"}");
  return i == m.end() ? -1 : i->second;
}

}  // namespace

using seconds = std::chrono::duration<double>;

/// /metrics, with the steady clock's time just before and just after it was read.
struct timed_sample {
  std::chrono::steady_clock::time_point before;
  std::map<std::string, double> m;
  std::chrono::steady_clock::time_point after;
  double full(const std::string& listener = "limited") const {
    return m.at("otp_listener_full_seconds_total{listener=\"" + listener + "\"}");
  }
};

timed_sample timed_metrics(std::uint16_t port) {
  timed_sample t;
  t.before = std::chrono::steady_clock::now();
  t.m = parse_prometheus(get(port, "/metrics").body);
  t.after = std::chrono::steady_clock::now();
  return t;
}

TEST_CASE(
  "/metrics and /api/node: a listener at max_connections, how often and how long it was full, "
  "its backlog and the attempts the kernel drops") {
  // max_connections 2 and 4 clients: 2 are served, 2 wait in the backlog (8) while the
  // listener is full; once the kernel's accept queue is full (backlog + 1) it drops attempts.
  otp::node node{{.threads = 2}};
  auto obs = observer::start(node).value();
  auto l = otp::net::start_listener<holder>(
             node, test_net::loopback(
                     {.backlog = 8, .num_acceptors = 3, .max_connections = 2, .name = "limited"}))
             .value();
  auto port = obs.port();
  CHECK(test_util::eventually([&] { return sample(port, "otp_listener_free_acceptors") == 2; }));
  CHECK(sample(port, "otp_listener_connections") == 0);
  CHECK(sample(port, "otp_listener_max_connections") == 2);
  CHECK(sample(port, "otp_listener_limit_reached_total") == 0);
  CHECK(sample(port, "otp_listener_full_seconds_total") == 0);

  auto connecting = std::chrono::steady_clock::now();
  std::vector<test_net::client> clients;
  for (int i = 0; i < 4; ++i)
    clients.push_back(test_net::client::tcp(l.port()));
  // The kernel's queue holds two as soon as the second is accepted; the listener counts it
  // a moment later (its handler starts, the connections' supervisor adopts it).
  CHECK(test_util::eventually([&] {
    return sample(port, "otp_listener_queued") == 2
           && sample(port, "otp_listener_limit_reached_total") == 1
           && sample(port, "otp_listener_free_acceptors") == 0;
  }));
  auto first = timed_metrics(port);
  const auto& m = first.m;
  CHECK(m.at("otp_listener_connections{listener=\"limited\"}") == 2);
  CHECK(m.at("otp_listener_free_acceptors{listener=\"limited\"}") == 0);
  CHECK(m.at("otp_listener_accepts_total{listener=\"limited\"}") == 2);
  CHECK(m.at("otp_listener_limit_reached_total{listener=\"limited\"}") == 1);
  CHECK(m.at("otp_listener_backlog_drops_total{listener=\"limited\"}") == 0);
  // Full since the second client was accepted: after `connecting`, before the read.
  CHECK(first.full() > 0);
  CHECK(first.full() <= seconds(first.after - connecting).count() + 1e-6);
  auto json = get(port, "/api/node").body;
  CHECK(json.find("{\"name\": \"limited\", \"connections\": 2, \"free_acceptors\": 0, "
                  "\"max_connections\": 2, \"accepted\": 2, \"limit_reached\": 1, "
                  "\"full_seconds\": ")
        != std::string::npos);
  CHECK(json.find("\"queued\": 2, \"backlog_drops\": 0}") != std::string::npos);

  // While it stays full, the time full grows as the clock does: the two reads were taken
  // between their before and after.
  std::this_thread::sleep_for(std::chrono::milliseconds{200});
  auto second = timed_metrics(port);
  auto grown = second.full() - first.full();
  CHECK(grown >= seconds(second.before - first.after).count() - 2e-6);
  CHECK(grown <= seconds(second.after - first.before).count() + 2e-6);

  // A connection closes: the oldest waiting client takes its place, and the listener is full
  // again (reached twice). Then another: the last waiting client, a third time.
  clients.erase(clients.begin());
  CHECK(test_util::eventually([&] {
    return sample(port, "otp_listener_accepts_total") == 3
           && sample(port, "otp_listener_limit_reached_total") == 2;
  }));
  CHECK(sample(port, "otp_listener_connections") == 2);
  clients.erase(clients.begin());
  CHECK(test_util::eventually([&] {
    return sample(port, "otp_listener_accepts_total") == 4
           && sample(port, "otp_listener_limit_reached_total") == 3;
  }));
  CHECK(sample(port, "otp_listener_queued") == 0);

  // Below the limit (nobody waits): the time full stops growing.
  clients.erase(clients.begin());
  CHECK(test_util::eventually([&] { return sample(port, "otp_listener_connections") == 1; }));
  auto below = timed_metrics(port);
  CHECK(below.full() >= second.full());
  std::this_thread::sleep_for(std::chrono::milliseconds{200});
  auto later = timed_metrics(port);
  CHECK(later.full() == below.full());
  CHECK(later.m.at("otp_listener_limit_reached_total{listener=\"limited\"}") == 3);
  CHECK(later.m.at("otp_listener_free_acceptors{listener=\"limited\"}") == 1);

  // Full again, then more clients than the backlog holds: the kernel drops their attempts
  // (SYNs, each retry counted), while the listener holds its 2 connections.
  clients.push_back(test_net::client::tcp(l.port()));
  CHECK(
    test_util::eventually([&] { return sample(port, "otp_listener_limit_reached_total") == 4; }));
  for (int i = 0; i < 16; ++i)
    clients.push_back(connect_nowait(l.port()));
  CHECK(
    test_util::eventually([&] { return sample(port, "otp_listener_backlog_drops_total") >= 1; }));
  CHECK(sample(port, "otp_listener_queued") <= 9);
  CHECK(sample(port, "otp_listener_connections") == 2);
  CHECK(sample(port, "otp_listener_limit_reached_total") == 4);

  // A stopped listener leaves the report.
  REQUIRE(otp::net::stop_listener(l));
  CHECK(test_util::eventually([&] { return otp::detail::report_listeners(node).empty(); }));
  CHECK(sample(port, "otp_listener_connections") == -1);
}

TEST_CASE("/metrics, /api/node: a listener without a limit") {
  otp::node node{{.threads = 2}};
  auto obs = observer::start(node).value();
  auto l = otp::net::start_listener<holder>(
             node, test_net::loopback(
                     {.num_acceptors = 2, .max_connections = otp::net::unlimited, .name = "open"}))
             .value();
  auto port = obs.port();
  auto c = test_net::client::tcp(l.port());
  CHECK(
    test_util::eventually([&] { return sample(port, "otp_listener_connections", "open") == 1; }));
  auto text = get(port, "/metrics").body;
  CHECK(text.find("otp_listener_max_connections{listener=\"open\"} +Inf\n") != std::string::npos);
  CHECK(test_util::eventually(
    [&] { return sample(port, "otp_listener_free_acceptors", "open") == 2; }));
  CHECK(sample(port, "otp_listener_limit_reached_total", "open") == 0);
  CHECK(sample(port, "otp_listener_full_seconds_total", "open") == 0);
  CHECK(get(port, "/api/node")
          .body.find("\"connections\": 1, \"free_acceptors\": 2, \"max_connections\": null, ")
        != std::string::npos);
}
