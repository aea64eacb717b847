#pragma once

#include "otp/dist/dist_error.hpp"
#include "otp/expected.hpp"

#include <cstdint>
#include <string>

namespace otp::dist::detail {

/// A node's lock file: held (flock LOCK_EX|LOCK_NB) while the node runs, so a second node
/// with the same name is refused; holds the creation number so each incarnation differs.
class creation_lock {
 public:
  /// Opens (or creates, mode 0600) the file at `path` and locks it. Busy → name_in_use; any
  /// other failure → system, with the path and the system's message. The creation is the
  /// stored decimal number plus one (a missing, empty or garbled number counts as 0; 0 is
  /// skipped on wrap), written back and fsync'ed before this returns.
  static expected<creation_lock, dist_error> acquire(const std::string& path);

  creation_lock(creation_lock&& other) noexcept;
  creation_lock& operator=(creation_lock&& other) noexcept;
  creation_lock(const creation_lock&) = delete;
  creation_lock& operator=(const creation_lock&) = delete;
  /// Closes the file, which releases the lock; the file stays for the next incarnation.
  ~creation_lock();

  std::uint32_t creation() const noexcept { return creation_; }

 private:
  creation_lock(int fd, std::uint32_t creation) noexcept : fd_(fd), creation_(creation) {}

  int fd_ = -1;
  std::uint32_t creation_ = 0;
};

/// Makes sure `dir` (where the lock files and sockets live) is a directory only we can enter:
/// creates it and missing parents with mode 0700, and refuses (bad_option, naming the path and
/// why) one that is not a directory, not owned by our uid, or open to group or others.
expected<void, dist_error> prepare_node_dir(const std::string& dir);

}  // namespace otp::dist::detail
