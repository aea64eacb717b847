#pragma once

// What a child process inherits: spawns `/bin/sleep`, reads its descriptor table from /proc,
// then kills it (by its pid) and reaps it.

#include <csignal>
#include <string>
#include <vector>

#include <dirent.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

namespace test_util {

/// The targets ("socket:[123]", "pipe:[45]", "/dev/null", ...) of the descriptors above
/// stderr that a freshly spawned child process holds.
inline std::vector<std::string> inherited_descriptors() {
  char arg0[] = "sleep";
  char arg1[] = "30";
  char* argv[] = {arg0, arg1, nullptr};
  char* envp[] = {nullptr};
  pid_t child = -1;
  if (::posix_spawn(&child, "/bin/sleep", nullptr, nullptr, argv, envp) != 0)
    return {"posix_spawn failed"};
  // posix_spawn returns after the exec: close-on-exec descriptors are gone by now.
  std::vector<std::string> found;
  auto dir = "/proc/" + std::to_string(child) + "/fd";
  if (DIR* d = ::opendir(dir.c_str())) {
    while (auto* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name == "." || name == ".." || std::stoi(name) <= 2)
        continue;
      char target[256] = {};
      auto n = ::readlink((dir + "/" + name).c_str(), target, sizeof(target) - 1);
      found.push_back(n > 0 ? std::string(target, static_cast<std::size_t>(n)) : "?");
    }
    ::closedir(d);
  }
  ::kill(child, SIGKILL);
  int status = 0;
  ::waitpid(child, &status, 0);
  return found;
}

}  // namespace test_util
