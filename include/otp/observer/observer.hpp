#pragma once

// observer: a node's processes, supervision trees and figures over HTTP: a live page for
// people (open the URL), JSON for tools, /metrics for Prometheus. Opt-in: link
// caf_otp::observer and start it on a node.
//
//   auto obs = otp::observer::start(node, {.port = 0}).value();
//   fmt::print("observer at {}\n", obs.url());   // http://127.0.0.1:PORT/
//   ...
//   obs.stop();                                   // or let it go out of scope
//
// It serves on one I/O thread of its own (Boost.Asio and Beast), never on a scheduler thread.
// See docs/observer.md for the endpoints, the metric names and what it does to stay safe.

#include "otp/expected.hpp"
#include "otp/node.hpp"

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

namespace otp::observer {

struct observer_options {
  /// 0: an ephemeral port (`server::port()` tells which).
  std::uint16_t port = 0;
  /// The address to listen on. Anything but a loopback address requires `token`.
  std::string bind = "127.0.0.1";
  /// When set, every request must carry it: `Authorization: Bearer TOKEN` or `?token=TOKEN`.
  std::string token = {};
  /// Kill, suspend and resume (the page's buttons, POST /api/process/<pid>/<action>);
  /// refused (403) while false.
  bool actions = false;
};

/// Why the observer could not start (a bad address, a port in use, a missing token).
struct start_failure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// A running observer; stops when destroyed. Movable.
class server {
 public:
  struct impl;
  explicit server(std::unique_ptr<impl> p);
  server(server&&) noexcept;
  server& operator=(server&&) noexcept;
  ~server();

  /// The port it listens on.
  std::uint16_t port() const noexcept;
  /// `http://ADDRESS:PORT/`.
  std::string url() const;
  /// Closes the listener and the open connections and joins the I/O thread. Idempotent.
  void stop();

 private:
  std::unique_ptr<impl> impl_;
};

/// Starts serving `n` (which must outlive the server) with `opts`.
expected<server, start_failure> start(node& n, observer_options opts = {});

}  // namespace otp::observer
