// /metrics' node series: scheduler utilisation, distribution, listeners.

#include "observer/prometheus.hpp"
#include "observer/views.hpp"

#include "runtime/node_reports.hpp"

#include <fmt/format.h>

#include <chrono>
#include <iterator>
#include <string>
#include <string_view>

namespace otp::observer::detail {

namespace {

void scheduler_metrics(std::string& out, node& n, scheduler_load& load) {
  const auto& s = load.read(n);
  header(out, "otp_scheduler_utilisation", "gauge",
         "Busy fraction of each scheduler thread over the last interval (1 s or more).");
  for (std::size_t i = 0; i < s.busy.size(); ++i)
    labelled(out, "otp_scheduler_utilisation", "thread", fmt::format("{}", i),
             fmt::format("{:.4f}", s.busy[i]));
  header(out, "otp_scheduler_busy_seconds_total", "counter",
         "Time each scheduler thread spent running processes.");
  for (std::size_t i = 0; i < s.totals.size(); ++i)
    labelled(out, "otp_scheduler_busy_seconds_total", "thread", fmt::format("{}", i),
             fmt::format("{:.6f}", static_cast<double>(s.totals[i].busy.count()) / 1e9));
}

void dist_metrics(std::string& out, node& n) {
  auto d = otp::detail::report_dist(n);
  header(out, "otp_dist_nodes", "gauge", "Connected nodes (0 when distribution is not running).");
  fmt::format_to(out_it{out}, "otp_dist_nodes {}\n", d ? d->peers.size() : 0);
  header(out, "otp_dist_received_bytes_total", "counter",
         "Bytes received from a connected node (TCP carriers; handshake included).");
  header(out, "otp_dist_sent_bytes_total", "counter",
         "Bytes sent to a connected node and acknowledged (TCP carriers; handshake included).");
  header(out, "otp_dist_last_heard_seconds", "gauge",
         "Time since a connected node last sent anything, ticks included (TCP carriers).");
  header(out, "otp_dist_tick_late", "gauge",
         "1 when a connected node has been silent for over half the tick time.");
  if (!d)
    return;
  for (const auto& p : d->peers) {
    if (p.bytes_in)
      labelled(out, "otp_dist_received_bytes_total", "node", p.name, *p.bytes_in);
    if (p.bytes_out)
      labelled(out, "otp_dist_sent_bytes_total", "node", p.name, *p.bytes_out);
    if (p.last_heard) {
      labelled(out, "otp_dist_last_heard_seconds", "node", p.name,
               static_cast<double>(p.last_heard->count()) / 1e3);
      labelled(out, "otp_dist_tick_late", "node", p.name,
               tick_state(p, d->tick_time) == "late" ? 1 : 0);
    }
  }
}

/// Per listener, from the socket server's reporter (runtime/node_reports.hpp).
void listener_metrics(std::string& out, node& n) {
  auto listeners = otp::detail::report_listeners(n);
  using lr = otp::detail::listener_report;
  auto series = [&](std::string_view name, std::string_view type, std::string_view help,
                    auto value) {
    header(out, name, type, help);
    for (const auto& l : listeners)
      labelled(out, name, "listener", l.name, value(l));
  };
  series("otp_listener_connections", "gauge", "Open connections of a listener.",
         [](const lr& l) { return l.connections; });
  series("otp_listener_free_acceptors", "gauge", "Acceptors waiting for a connection.",
         [](const lr& l) { return l.free_acceptors; });
  // Unlimited is +Inf, which the format allows: connections / max_connections stays a ratio.
  series("otp_listener_max_connections", "gauge", "A listener's max_connections (+Inf: unlimited).",
         [](const lr& l) {
           return l.max_connections ? fmt::format("{}", *l.max_connections) : std::string{"+Inf"};
         });
  series("otp_listener_accepts_total", "counter", "Connections accepted.",
         [](const lr& l) { return l.accepted; });
  series("otp_listener_limit_reached_total", "counter",
         "Times a listener reached max_connections (new clients then wait in the backlog).",
         [](const lr& l) { return l.limit_reached; });
  series("otp_listener_full_seconds_total", "counter",
         "Time a listener spent at max_connections, accepting nobody.", [](const lr& l) {
           return fmt::format("{:.6f}", std::chrono::duration<double>(l.full_time).count());
         });
  series("otp_listener_queued", "gauge", "Clients waiting in the backlog to be accepted.",
         [](const lr& l) { return l.queued; });
  series("otp_listener_backlog_drops_total", "counter",
         "Connection attempts the kernel dropped at a full backlog (each retry counts).",
         [](const lr& l) { return l.backlog_drops; });
}

}  // namespace

void node_metrics(std::string& out, node& n, scheduler_load& load) {
  scheduler_metrics(out, n, load);
  dist_metrics(out, n);
  listener_metrics(out, n);
}

}  // namespace otp::observer::detail
