#pragma once

// Erlang's spawn, spawn_link and spawn_monitor: a process that runs a function.
//
//     auto echo = otp::spawn(node, [] {
//       for (;;)
//         otp::receive([](const ping& p) { otp::send(p.from, pong{}); });
//     });
//
// The function runs on a stack of the process's own: it may wait (`receive`, `sleep`,
// `gen_server::call`, ...) without holding a thread. When it returns the process exits
// `normal`; `otp::exit(reason)` ends it with `reason`; an exception ends it with the exception
// as reason, reported as Erlang reports an error in a process.

#include "otp/pid.hpp"

#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

namespace otp {

class node;

namespace detail {

/// The function a plain process runs.
class process_body {
 public:
  virtual ~process_body() = default;
  virtual void run() = 0;
};

template <class F>
class process_body_of final : public process_body {
 public:
  explicit process_body_of(F f) : f_(std::move(f)) {}
  void run() override { std::invoke(f_); }

 private:
  F f_;
};

enum class spawn_mode { plain, link, monitor };

/// Starts a plain process on `n` (the calling process's node when null).
pid spawn_process(node* n, std::unique_ptr<process_body> body, spawn_mode mode);

template <class F>
std::unique_ptr<process_body> make_body(F&& f) {
  static_assert(std::is_invocable_v<std::decay_t<F>&>, "a process runs a function of no arguments");
  return std::make_unique<process_body_of<std::decay_t<F>>>(std::forward<F>(f));
}

}  // namespace detail

/// `spawn(Fun)` on `n`, from anywhere (a plain thread, a test, a process).
template <class F>
pid spawn(node& n, F&& f) {
  return detail::spawn_process(&n, detail::make_body(std::forward<F>(f)),
                               detail::spawn_mode::plain);
}

/// `spawn(Fun)` from inside a process: on the calling process's node.
template <class F>
pid spawn(F&& f) {
  return detail::spawn_process(nullptr, detail::make_body(std::forward<F>(f)),
                               detail::spawn_mode::plain);
}

/// `spawn_link(Fun)`: linked to the calling process before it runs. Only inside a process.
template <class F>
pid spawn_link(F&& f) {
  return detail::spawn_process(nullptr, detail::make_body(std::forward<F>(f)),
                               detail::spawn_mode::link);
}

/// `spawn_monitor(Fun)`: monitored by the calling process before it runs (its `down` message
/// comes even if it exits at once). Only inside a process.
template <class F>
pid spawn_monitor(F&& f) {
  return detail::spawn_process(nullptr, detail::make_body(std::forward<F>(f)),
                               detail::spawn_mode::monitor);
}

}  // namespace otp
