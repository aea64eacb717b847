#pragma once

// Shared by the distribution tests and their peer program (tests/dist_peer.cpp): the
// gen_server both nodes know, and a child process with line-based stdio.

#include <otp/caf.hpp>
#include <otp/dist/distribution.hpp>
#include <otp/gen_server.hpp>
#include <otp/process.hpp>
#include <otp/supervisor.hpp>

#include <caf/meta/type_name.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

namespace dist_test {

struct echo {
  std::string text;
};
struct add {
  std::int32_t a = 0;
  std::int32_t b = 0;
};
// Requests without fields: their wire name is all CAF needs (one `inspect` for all of them).
struct hang {  // never answered: for calls that must fail when the node dies
  static constexpr const char* wire_name = "dist_test::hang";
};
struct whoami {  // -> the node's name and creation
  static constexpr const char* wire_name = "dist_test::whoami";
};
struct stop_server {  // cast: stops with reason {shutdown, asked}
  static constexpr const char* wire_name = "dist_test::stop_server";
};
struct count {  // cast: counts
  static constexpr const char* wire_name = "dist_test::count";
};
struct counted {  // -> how many casts arrived
  static constexpr const char* wire_name = "dist_test::counted";
};
struct spawn_worker {  // -> a new, unregistered echo_server on the called node
  static constexpr const char* wire_name = "dist_test::spawn_worker";
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, echo& x) {
  return f(caf::meta::type_name("dist_test::echo"), x.text);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, add& x) {
  return f(caf::meta::type_name("dist_test::add"), x.a, x.b);
}
template <class Inspector, class Tag>
requires(std::is_empty_v<Tag>&& requires { Tag::wire_name; }) typename Inspector::result_type
  inspect(Inspector& f, Tag&) {
  return f(caf::meta::type_name(Tag::wire_name));
}

/// The server the peer registers as "echo".
class echo_server {
 public:
  using remote_requests =
    otp::types<echo, add, hang, whoami, stop_server, count, counted, spawn_worker>;

  explicit echo_server(std::string node = {}) : node_(std::move(node)) {}

  std::string handle_call(const echo& e) { return e.text; }
  std::int32_t handle_call(const add& x) { return x.a + x.b; }
  otp::call_result<std::int32_t> handle_call(const hang&, otp::from<std::int32_t> caller) {
    parked_.push_back(std::move(caller));
    return otp::noreply();
  }
  std::string handle_call(const whoami&) { return node_; }
  std::int32_t handle_call(const counted&) { return casts_; }
  caf::actor handle_call(const spawn_worker&) {
    auto worker = otp::gen_server::start<echo_server>(node_ + " worker");
    return worker ? otp::to_actor(*worker) : caf::actor{};
  }
  otp::cast_result handle_cast(const stop_server&) {
    return otp::stop(otp::exit_reason::shutdown("asked"));
  }
  void handle_cast(const count&) { ++casts_; }

 private:
  std::string node_;
  std::int32_t casts_ = 0;
  std::vector<otp::from<std::int32_t>> parked_;
};

/// A child process whose stdout we read line by line and whose stdin we hold: it exits when
/// we close stdin (or are killed).
class child {
 public:
  child(const std::string& path, const std::vector<std::string>& args) {
    int in[2];
    int out[2];
    if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0)
      return;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(path.c_str()));
    for (const auto& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    if (::posix_spawn(&pid_, path.c_str(), &fa, nullptr, argv.data(), environ) != 0)
      pid_ = -1;
    posix_spawn_file_actions_destroy(&fa);
    ::close(in[0]);
    ::close(out[1]);
    stdin_ = in[1];
    stdout_ = out[0];
  }
  ~child() {
    if (pid_ > 0) {
      ::kill(pid_, SIGCONT);
      ::kill(pid_, SIGKILL);
      wait();
    }
    if (stdin_ >= 0)
      ::close(stdin_);
    if (stdout_ >= 0)
      ::close(stdout_);
  }
  child(const child&) = delete;
  child& operator=(const child&) = delete;

  pid_t pid() const { return pid_; }

  /// The next line the child printed, waiting at most `limit`.
  std::optional<std::string> line(std::chrono::milliseconds limit = std::chrono::seconds{10}) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (true) {
      if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
        auto result = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return result;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return std::nullopt;
      pollfd p{stdout_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        continue;
      char chunk[512];
      auto n = ::read(stdout_, chunk, sizeof chunk);
      if (n <= 0)
        return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  void signal(int sig) { ::kill(pid_, sig); }

  void kill() {
    signal(SIGCONT);
    signal(SIGKILL);
    wait();
  }

  void wait() {
    if (pid_ > 0) {
      int status = 0;
      ::waitpid(pid_, &status, 0);
      pid_ = -1;
    }
  }

 private:
  pid_t pid_ = -1;
  int stdin_ = -1;
  int stdout_ = -1;
  std::string buffer_;
};

}  // namespace dist_test
