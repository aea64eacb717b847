// /api/node (and the event stream's `node`): the node's figures, its scheduler threads'
// utilisation, distribution's connected nodes and the socket server's listeners.

#include "observer/json.hpp"
#include "observer/views.hpp"

#include "otp/observer/node_figures.hpp"
#include "runtime/node_reports.hpp"

#include <fmt/format.h>

#include <chrono>
#include <iterator>

namespace otp::observer::detail {

namespace {

using out_it = std::back_insert_iterator<std::string>;

template <class T>
std::string or_null(const std::optional<T>& x) {
  return x ? fmt::format("{}", *x) : std::string{"null"};
}

}  // namespace

// A connected node sends at least every tick_time / 4 (heartbeats); past tick_time it is
// dropped: `late` past half of it.
std::string_view tick_state(const otp::detail::peer_report& p, std::chrono::milliseconds tick) {
  if (!p.last_heard)
    return "unknown";
  return *p.last_heard * 2 <= tick ? "ok" : "late";
}

namespace {

void append_distribution(std::string& out, node& n) {
  auto d = otp::detail::report_dist(n);
  if (!d) {
    out += ", \"distribution\": null";
    return;
  }
  out += ", \"distribution\": {\"self\": ";
  append_json_string(out, d->self);
  fmt::format_to(out_it{out}, ", \"tick_time_ms\": {}, \"nodes\": [", d->tick_time.count());
  for (std::size_t i = 0; i < d->peers.size(); ++i) {
    const auto& p = d->peers[i];
    out += i == 0 ? "{\"name\": " : ", {\"name\": ";
    append_json_string(out, p.name);
    fmt::format_to(out_it{out},
                   ", \"via\": \"{}\", \"connected_ms\": {}, \"bytes_in\": {}, \"bytes_out\": {}, "
                   "\"last_heard_ms\": {}, \"tick\": \"{}\"}}",
                   p.via, p.connected_for.count(), or_null(p.bytes_in), or_null(p.bytes_out),
                   p.last_heard ? fmt::format("{}", p.last_heard->count()) : "null",
                   tick_state(p, d->tick_time));
  }
  out += "]}";
}

void append_listeners(std::string& out, node& n) {
  out += ", \"listeners\": [";
  auto listeners = otp::detail::report_listeners(n);
  for (std::size_t i = 0; i < listeners.size(); ++i) {
    const auto& l = listeners[i];
    out += i == 0 ? "{\"name\": " : ", {\"name\": ";
    append_json_string(out, l.name);
    fmt::format_to(out_it{out},
                   ", \"connections\": {}, \"free_acceptors\": {}, \"max_connections\": {}, "
                   "\"accepted\": {}, \"limit_reached\": {}, \"full_seconds\": {:.3f}, "
                   "\"queued\": {}, \"backlog_drops\": {}}}",
                   l.connections, l.free_acceptors, or_null(l.max_connections), l.accepted,
                   l.limit_reached, std::chrono::duration<double>(l.full_time).count(), l.queued,
                   l.backlog_drops);
  }
  out += "]";
}

}  // namespace

std::string node_json(node& n, scheduler_load& load) {
  auto f = take_node_figures(n);
  const auto& sched = load.read(n);
  std::string out = fmt::format(
    "{{\"processes\": {}, \"scheduler_threads\": {}, \"scheduler_utilisation\": [{:.3f}], "
    "\"resident_bytes\": {}, \"virtual_bytes\": {}, \"heap_in_use_bytes\": {}, "
    "\"registered\": {}",
    f.processes, f.scheduler_threads, fmt::join(sched.busy, ", "), f.resident_bytes,
    f.virtual_bytes, f.heap_in_use_bytes, n.registered().size());
  append_distribution(out, n);
  append_listeners(out, n);
  return out + "}\n";
}

}  // namespace otp::observer::detail
