#pragma once

// process_list: a page of a node's processes, read from any thread without stopping the node.
//
//   auto page = otp::observer::list_processes(node, {.offset = 0, .limit = 50,
//                                                    .sort = otp::observer::sort_key::handled});
//   for (const auto& p : page.rows)
//     fmt::print("{} {} {}\n", p.pid, p.kind, p.handled);
//
// The walk holds the node's process list lock (processes may not start or exit meanwhile) and
// reads each process's counters as relaxed atomics; it never sends a message. In start order
// (the list's own), a page costs O(offset + limit); sorted by anything else, O(n) to copy the
// sort key and O(n log(offset + limit)) to select the page.

#include "otp/node.hpp"

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace otp::observer {

/// `start`: the order in which the processes' inits returned (a supervisor comes after the
/// children its init started), the cheapest; descending `start` sorts by pid.
enum class sort_key { pid, start, handled, mailbox, memory };

/// `sort_key` from its name ("pid", "start", "handled", "mailbox", "memory"); false for
/// anything else.
bool parse_sort_key(std::string_view text, sort_key& out);

/// A process as the observer sees it. `mailbox` is exact for bounded mailboxes
/// (`mailbox_limit`), which count their messages, and for a process with nothing queued (0);
/// -1 (unknown) for the others, whose length only the process itself may read
/// (`sys::get_status`).
struct process_row {
  std::uint64_t pid = 0;    ///< the actor id: prints as <0.pid.0>
  std::string name = {};    ///< registered name, or empty
  std::string kind = {};    ///< gen_server, supervisor, acceptor, connection, plain
  std::string module = {};  ///< the server's type; empty for a plain process
  std::int64_t mailbox = -1;
  std::uint64_t handled = 0;  ///< calls, casts and infos handled
  /// Bytes, estimated from what another thread may read: CAF's control block and the process
  /// object, the server's state object (not what it allocates), a message header per queued
  /// message when their number is known (not their payloads), and the frames a wait left on
  /// the process's stack while it is parked.
  std::uint64_t memory = 0;
  std::string state = {};  ///< starting, waiting, running, suspended (docs/observer.md)
};

struct page_request {
  std::size_t offset = 0;
  std::size_t limit = 100;
  sort_key sort = sort_key::pid;
  bool descending = false;
};

struct process_page {
  std::size_t total = 0;  ///< processes running when the page was taken
  std::vector<process_row> rows = {};
};

process_page list_processes(const node& n, const page_request& req);

/// The processes that are supervisors (their pids), oldest first.
std::vector<pid> supervisors(const node& n);

/// The running process `id`, if any.
std::optional<pid> find_process(const node& n, std::uint64_t id);

/// The running process `id`'s row, if any.
std::optional<process_row> find_row(const node& n, std::uint64_t id);

}  // namespace otp::observer

namespace otp::observer {

/// Figures over all running processes, for /metrics: one walk, O(n), nothing allocated per
/// process.
struct process_totals {
  std::size_t processes = 0;
  std::uint64_t handled = 0;
  std::size_t mailboxes_known = 0;  ///< bounded mailboxes, whose length is counted
  std::uint64_t mailbox_sum = 0;
  std::int64_t mailbox_max = 0;
  /// Cumulative counts of known mailboxes at most 0, 1, 10, 100, 1000 and 10000 long.
  static constexpr std::int64_t bounds[] = {0, 1, 10, 100, 1000, 10000};
  std::size_t buckets[std::size(bounds)] = {};
};

process_totals total_processes(const node& n);

}  // namespace otp::observer
