#pragma once

// /api/events: server-sent events for the page. One timer on the observer's I/O thread,
// running only while a page listens, takes the trees every `tree_period` and sends them when
// they changed (a restart: new pids, restart counts), and the node's figures every second.
// Every listener gets the same bytes: the work per tick does not grow with the pages open.
// A tick takes the trees only if a process started or exited since the last (a restart, a
// child started or stopped), or every `roots_period` all the same; and it walks all processes,
// to find new top-level supervisors, only every `roots_period` after such a change, asking
// the roots it knows in between: an idle node costs a tick one lock, a busy one a call per
// supervisor.

#include "observer/routes.hpp"

#include "otp/supervision_tree.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace otp::observer::detail {

inline constexpr auto tree_period = std::chrono::milliseconds{250};
inline constexpr auto roots_period = std::chrono::seconds{2};

/// A connection that listens (http_server.cpp's session, once it has sent the stream's head).
class event_sink {
 public:
  virtual ~event_sink() = default;
  /// Queues an event; false once the connection is gone or too far behind (then it is closed).
  virtual bool push(std::shared_ptr<const std::string> event) = 0;
};

class event_hub {
 public:
  event_hub(boost::asio::io_context& io, const route_context& ctx);

  /// Sends `sink` the current trees and figures at once, then every change.
  void subscribe(std::shared_ptr<event_sink> sink);

  /// Drops the listeners and stops the timer.
  void close();

 private:
  void tick();
  /// The trees now, as an event: under the known roots, or after a walk for them.
  std::string take_trees(bool walk);
  void broadcast(const std::shared_ptr<const std::string>& event);

  const route_context& ctx_;
  boost::asio::steady_timer timer_;
  std::vector<std::shared_ptr<event_sink>> sinks_;
  std::shared_ptr<const std::string> trees_;
  std::vector<tree_node> roots_;  ///< the last trees' roots (their subtrees are not used)
  std::uint64_t taken_at_ = 0;    ///< `process_changes` when the trees were last taken
  std::uint64_t walked_at_ = 0;   ///< ... when all processes were last walked
  unsigned ticks_ = 0;
  bool running_ = false;
};

/// `event: NAME` with `json` as its data lines (a line break in JSON is whitespace: each line
/// becomes a `data:` line, which the browser joins with line breaks again).
std::string sse_event(std::string_view name, std::string_view json);

}  // namespace otp::observer::detail
