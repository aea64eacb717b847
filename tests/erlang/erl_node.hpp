#pragma once

// Real Erlang for the interoperability tests: an epmd of the test's own on a free port, and
// `erl -sname NAME -setcookie COOKIE -eval EXPR` nodes registered with it, whose standard
// output the test reads line by line with a deadline. Each OS process is started with
// posix_spawn and stopped by its pid (SIGKILL, then waitpid) when the object goes.

#include <chrono>
#include <csignal>
#include <optional>
#include <string>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace test_erl {

inline bool available() {
  return ::access("/usr/bin/erl", X_OK) == 0 && ::access("/usr/bin/epmd", X_OK) == 0;
}

/// A port nobody listens on now (bound, read and closed: a small race we accept in tests).
inline std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

inline bool port_open(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

/// One spawned OS process with its standard output on a pipe.
class child {
 public:
  /// `quiet`: its standard error goes to /dev/null.
  child(const std::string& path, std::vector<std::string> args, std::vector<std::string> env,
        bool quiet = false) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
      return;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
    if (quiet)
      posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    std::vector<char*> argv;
    for (auto& a : args)
      argv.push_back(a.data());
    argv.push_back(nullptr);
    for (char** e = environ; *e != nullptr; ++e)
      env.emplace_back(*e);
    std::vector<char*> envp;
    for (auto& e : env)
      envp.push_back(e.data());
    envp.push_back(nullptr);
    if (::posix_spawn(&pid_, path.c_str(), &actions, nullptr, argv.data(), envp.data()) != 0)
      pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
    ::close(fds[1]);
    out_ = fds[0];
  }
  ~child() {
    stop();
    if (out_ >= 0)
      ::close(out_);
  }
  child(const child&) = delete;
  child& operator=(const child&) = delete;

  pid_t pid() const noexcept { return pid_; }
  bool running() const noexcept { return pid_ > 0; }

  void signal(int sig) {
    if (pid_ > 0)
      ::kill(pid_, sig);
  }
  void stop() {
    if (pid_ <= 0)
      return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  /// The next line of its output, waiting at most `limit`.
  std::optional<std::string> line(std::chrono::milliseconds limit) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      if (auto nl = buffer_.find('\n'); nl != std::string::npos) {
        auto l = buffer_.substr(0, nl);
        buffer_.erase(0, nl + 1);
        return l;
      }
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || out_ < 0)
        return std::nullopt;
      pollfd p{out_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        return std::nullopt;
      char chunk[4096];
      auto n = ::read(out_, chunk, sizeof chunk);
      if (n <= 0)
        return std::nullopt;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  /// Skips lines until one equals `want`; false at the deadline (the lines seen go to `seen`).
  bool wait_for(const std::string& want, std::chrono::milliseconds limit,
                std::string* seen = nullptr) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      auto l = line(std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now()));
      if (!l)
        return false;
      if (seen != nullptr)
        *seen += *l + "\n";
      if (*l == want)
        return true;
    }
    return false;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  std::string buffer_;
};

/// An epmd of our own on a free port, ready when constructed.
class epmd {
 public:
  epmd()
    : port_(free_port()),
      process_("/usr/bin/epmd", {"epmd", "-port", std::to_string(port_)}, {}, true) {
    for (int i = 0; i < 200 && !port_open(port_); ++i)
      ::usleep(10'000);
  }
  std::uint16_t port() const noexcept { return port_; }

 private:
  std::uint16_t port_;
  child process_;
};

/// `erl -noshell -sname NAME -setcookie COOKIE -eval EXPR` against `epmd`.
inline std::vector<std::string> erl_args(const std::string& sname, const std::string& cookie,
                                         const std::string& expr,
                                         std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"erl",        "-noshell", "-sname",      sname,
                                "-setcookie", cookie,     "-start_epmd", "false"};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("-eval");
  args.push_back(expr);
  return args;
}

inline std::vector<std::string> epmd_env(const epmd& e) {
  return {"ERL_EPMD_PORT=" + std::to_string(e.port())};
}

/// `erl -noshell -sname NAME -setcookie COOKIE [EXTRA] -eval EXPR`, registered with `e`.
class erl : public child {
 public:
  erl(const epmd& e, const std::string& sname, const std::string& cookie, const std::string& expr,
      std::vector<std::string> extra = {})
    : child("/usr/bin/erl", erl_args(sname, cookie, expr, std::move(extra)), epmd_env(e)) {}
};

}  // namespace test_erl
