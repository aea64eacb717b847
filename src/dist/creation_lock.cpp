#include "dist/creation_lock.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <charconv>
#include <string_view>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace otp::dist::detail {

namespace {

using enum dist_error::kind;

unexpected<dist_error> system_error(std::string_view path, std::string_view call, int err) {
  return unexpected{
    dist_error{system, fmt::format("{}: {}: {}", path, call, std::system_category().message(err))}};
}

unexpected<dist_error> refuse(std::string_view path, std::string why) {
  return unexpected{dist_error{bad_option, fmt::format("node directory {}: {}", path, why)}};
}

/// The stored creation; anything but one decimal number (with an optional newline) is 0, so
/// that a torn or hand-edited file costs at most a repeated creation, never a refused start.
std::uint32_t parse_creation(std::string_view text) {
  if (!text.empty() && text.back() == '\n')
    text.remove_suffix(1);
  std::uint32_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  return ec == std::errc{} && end == text.data() + text.size() ? value : 0;
}

}  // namespace

expected<creation_lock, dist_error> creation_lock::acquire(const std::string& path) {
  // O_NOFOLLOW: a symlink planted in the node directory must not redirect our writes.
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0)
    return system_error(path, "open", errno);
  creation_lock lock{fd, 0};  // closes the file on every early return
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK)
      return unexpected{dist_error{name_in_use, fmt::format("{} is locked", path)}};
    return system_error(path, "flock", errno);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    return system_error(path, "fstat", errno);
  if (!S_ISREG(st.st_mode))
    return unexpected{dist_error{system, fmt::format("{}: not a regular file", path)}};
  if (::fchmod(fd, 0600) != 0)
    return system_error(path, "fchmod", errno);

  char buffer[32];
  auto n = ::pread(fd, buffer, sizeof buffer, 0);
  if (n < 0)
    return system_error(path, "read", errno);
  // A full buffer means a longer file than any number we write: garbage.
  auto size = static_cast<std::size_t>(n);
  std::uint32_t old = size == sizeof buffer ? 0 : parse_creation({buffer, size});
  lock.creation_ = old + 1 == 0 ? 1 : old + 1;

  auto text = fmt::format("{}\n", lock.creation_);
  if (::ftruncate(fd, 0) != 0)
    return system_error(path, "ftruncate", errno);
  auto written = ::pwrite(fd, text.data(), text.size(), 0);
  if (written < 0)
    return system_error(path, "write", errno);
  if (static_cast<std::size_t>(written) != text.size())
    return unexpected{dist_error{system, fmt::format("{}: short write", path)}};
  if (::fsync(fd) != 0)
    return system_error(path, "fsync", errno);
  return lock;
}

creation_lock::creation_lock(creation_lock&& other) noexcept
  : fd_(std::exchange(other.fd_, -1)), creation_(other.creation_) {}

creation_lock& creation_lock::operator=(creation_lock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0)
      ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    creation_ = other.creation_;
  }
  return *this;
}

creation_lock::~creation_lock() {
  if (fd_ >= 0)
    ::close(fd_);
}

expected<void, dist_error> prepare_node_dir(const std::string& dir) {
  if (dir.empty())
    return refuse("\"\"", "empty path");
  // Like mkdir -p: each missing prefix in turn; existing parents (/tmp, $HOME) stay as they are.
  for (auto pos = dir.find('/', 1);; pos = dir.find('/', pos + 1)) {
    auto prefix = dir.substr(0, pos);
    if (::mkdir(prefix.c_str(), 0700) != 0 && errno != EEXIST)
      return system_error(prefix, "mkdir", errno);
    if (pos == std::string::npos)
      break;
  }
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0)
    return system_error(dir, "stat", errno);
  if (!S_ISDIR(st.st_mode))
    return refuse(dir, "not a directory");
  if (st.st_uid != ::geteuid())
    return refuse(dir, fmt::format("owned by uid {}, we are uid {}", st.st_uid, ::geteuid()));
  if ((st.st_mode & 077) != 0)
    return refuse(
      dir, fmt::format("mode {:04o} lets group or others in (want 0700)", st.st_mode & 07777));
  return {};
}

}  // namespace otp::dist::detail
