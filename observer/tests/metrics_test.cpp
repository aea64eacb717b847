// Ensure that /metrics is valid Prometheus text (every sample of a declared family, well-formed
// labels and values) and that its numbers are the node's: processes, messages handled, a
// supervisor's restart after one of its children crashed, the crash's reason.

#include "eventually.hpp"
#include "http_client.hpp"
#include "servers.hpp"

#include <otp/observer.hpp>
#include <otp/supervision_tree.hpp>
#include <otp/supervisor.hpp>
#include <otp/sys.hpp>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>

using namespace observer_test;
namespace observer = otp::observer;

namespace {

/// Prometheus' text exposition format, strictly: `# HELP`/`# TYPE` lines, then samples of the
/// declared families. Returns "name{labels}" → value; throws on a malformed line.
std::map<std::string, double> parse_prometheus(const std::string& text) {
  static const std::regex type_line{
    R"(# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter|histogram))"};
  static const std::regex help_line{R"(# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*)"};
  static const std::regex sample_line{
    R"(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:\\.|[^"\\])*")"
    R"((?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:\\.|[^"\\])*")*\})? (-?[0-9.eE+-]+|\+Inf|NaN))"};
  std::map<std::string, std::string> families;
  std::map<std::string, double> samples;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);) {
    std::smatch m;
    if (std::regex_match(line, m, type_line)) {
      if (!families.emplace(m[1], m[2]).second)
        throw std::runtime_error("family declared twice: " + line);
    } else if (std::regex_match(line, help_line)) {
      continue;
    } else if (std::regex_match(line, m, sample_line)) {
      auto family = std::regex_replace(m[1].str(), std::regex{"_(bucket|sum|count)$"}, "");
      if (!families.contains(m[1]) && families[family] != "histogram")
        throw std::runtime_error("sample of an undeclared family: " + line);
      samples[m[1].str() + m[2].str()] = std::stod(m[3]);
    } else {
      throw std::runtime_error("malformed line: " + line);
    }
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

TEST_CASE("/metrics parses as Prometheus text and matches the node after a restart") {
  constexpr int n = 5;
  otp::node node{{.threads = 2}};
  node.logger().set_sink([](const otp::log_event&) {});  // the crash report is expected
  auto obs = observer::start(node).value();
  std::vector<otp::child_spec> children;
  for (int i = 0; i < n; ++i)
    children.push_back({.id = fmt::format("w{}", i), .start = otp::start_with<pinger>()});
  auto top = otp::supervisor::start_link(node, {.name = "top"}, {.intensity = 5}, children).value();
  auto tree = otp::supervision_tree(top, "top").value();
  auto victim = otp::server_ref<pinger>{tree.children[2].pid};
  otp::gen_server::call(otp::server_ref<pinger>{tree.children[0].pid}, ping{});
  otp::gen_server::cast(victim, boom{});
  REQUIRE(test_util::eventually([&] {
    auto t = otp::supervision_tree(top, "top");
    return t && t->children[2].restarts == 1 && t->children[2].pid != victim;
  }));

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
  CHECK(m[fmt::format("otp_supervisor_restarts{{supervisor=\"{}\",id=\"top\"}}", top)] == 1);
  CHECK(sum_of(m, "otp_supervisor_child_terminations_total{supervisor=\"top\"") == 1);
  CHECK(sum_of(m, "otp_supervisor_max_intensity_shutdowns_total") == 0);
  CHECK(m["otp_mailbox_length_count"] == 0);  // no bounded mailbox here
  INFO(r.body);

  auto trees = get(obs.port(), "/api/trees");
  CHECK(trees.status == 200);
  CHECK(trees.body.find("\"id\": \"top\"") != std::string::npos);
  CHECK(trees.body.find("\"restarts\": 1") != std::string::npos);
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
