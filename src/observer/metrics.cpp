#include "observer/views.hpp"

#include "observer/prometheus.hpp"

#include "otp/observer/node_figures.hpp"

#include <fmt/format.h>

#include <iterator>

namespace otp::observer::detail {

namespace {

template <class T>
void gauge(std::string& out, std::string_view name, std::string_view help, T value) {
  header(out, name, "gauge", help);
  fmt::format_to(out_it{out}, "{} {}\n", name, value);
}

void sample(std::string& out, std::string_view name, std::string_view label, std::string_view value,
            std::string_view label2, std::string_view value2, std::uint64_t n) {
  out += name;
  out += '{';
  out += label;
  out += '=';
  append_label_value(out, value);
  if (!label2.empty()) {
    out += ',';
    out += label2;
    out += '=';
    append_label_value(out, value2);
  }
  fmt::format_to(out_it{out}, "}} {}\n", n);
}

void process_metrics(std::string& out, node& n) {
  auto t = total_processes(n);
  auto f = take_node_figures(n);
  gauge(out, "otp_processes", "caf-otp processes running on the node.", t.processes);
  gauge(out, "otp_scheduler_threads", "Scheduler threads of the node.", f.scheduler_threads);
  gauge(out, "otp_memory_resident_bytes", "Resident memory of the OS process.", f.resident_bytes);
  gauge(out, "otp_memory_heap_bytes", "Heap in use (mallinfo2 uordblks).", f.heap_in_use_bytes);
  gauge(out, "otp_messages_handled", "Calls, casts and infos handled by the processes running now.",
        t.handled);
  gauge(out, "otp_mailbox_length_max", "Longest bounded mailbox.", t.mailbox_max);
  header(out, "otp_mailbox_length", "histogram", "Lengths of the bounded mailboxes.");
  for (std::size_t i = 0; i < std::size(process_totals::bounds); ++i)
    fmt::format_to(out_it{out}, "otp_mailbox_length_bucket{{le=\"{}\"}} {}\n",
                   process_totals::bounds[i], t.buckets[i]);
  fmt::format_to(out_it{out},
                 "otp_mailbox_length_bucket{{le=\"+Inf\"}} {}\notp_mailbox_length_sum {}\n"
                 "otp_mailbox_length_count {}\n",
                 t.mailboxes_known, t.mailbox_sum, t.mailboxes_known);
}

unsigned child_restarts(const tree_node& t) {
  unsigned sum = 0;
  for (const auto& c : t.children)
    sum += c.restarts;
  return sum;
}

void each_supervisor(const tree_node& t, std::string& out) {
  if (t.type != child_type::supervisor || !t.pid)
    return;
  sample(out, "otp_supervisor_restarts", "supervisor", fmt::format("{}", t.pid), "id", t.id,
         child_restarts(t));
  for (const auto& c : t.children)
    each_supervisor(c, out);
}

void supervisor_metrics(std::string& out, node& n, const restart_stats& stats) {
  header(out, "otp_supervisor_restarts", "gauge",
         "Restarts of a supervisor's current children (which_children).");
  for (const auto& tree : all_trees(n))
    each_supervisor(tree, out);
  auto counted = stats.snapshot();
  header(out, "otp_supervisor_child_terminations_total", "counter",
         "Children's abnormal exits a supervisor reported (child_terminated), by reason.");
  for (const auto& [sup, s] : counted)
    for (const auto& [reason, count] : s.by_reason)
      sample(out, "otp_supervisor_child_terminations_total", "supervisor", sup, "reason", reason,
             count);
  header(out, "otp_supervisor_max_intensity_shutdowns_total", "counter",
         "Shutdowns for reached_max_restart_intensity.");
  for (const auto& [sup, s] : counted)
    if (s.max_intensity_shutdowns > 0)
      sample(out, "otp_supervisor_max_intensity_shutdowns_total", "supervisor", sup, "", "",
             s.max_intensity_shutdowns);
}

}  // namespace

std::string metrics_text(node& n, const restart_stats& stats, scheduler_load& load) {
  std::string out;
  process_metrics(out, n);
  node_metrics(out, n, load);
  supervisor_metrics(out, n, stats);
  return out;
}

}  // namespace otp::observer::detail
