#include "dist/creation_lock.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <sys/stat.h>
#include <unistd.h>

using otp::dist::dist_error;
using otp::dist::detail::creation_lock;
using otp::dist::detail::prepare_node_dir;

namespace {

/// A fresh directory under /tmp, removed with everything in it at the end of the test.
struct temp_dir {
  std::string path;

  temp_dir() {
    std::string pattern = "/tmp/otp-creation-XXXXXX";
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~temp_dir() { std::filesystem::remove_all(path); }

  std::string operator/(const std::string& name) const { return path + "/" + name; }
};

void write(const std::string& path, const std::string& text) {
  std::ofstream{path} << text;
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("creation_lock: each incarnation gets the next creation") {
  temp_dir dir;
  auto file = dir / "alpha@host.lock";
  for (std::uint32_t expected = 1; expected <= 3; ++expected) {
    auto lock = creation_lock::acquire(file);
    REQUIRE(lock.has_value());
    CHECK(lock->creation() == expected);
  }
  std::ifstream in{file};
  std::string text;
  in >> text;
  CHECK(text == "3");
}

TEST_CASE("creation_lock: a second node with the same name is refused while the first runs") {
  temp_dir dir;
  auto file = dir / "alpha@host.lock";
  auto first = creation_lock::acquire(file);
  REQUIRE(first.has_value());
  auto second = creation_lock::acquire(file);
  REQUIRE_FALSE(second.has_value());
  CHECK(second.error().what == dist_error::kind::name_in_use);

  // A moved lock is still held; destroying it releases the name.
  auto moved = std::move(*first);
  CHECK_FALSE(creation_lock::acquire(file).has_value());
  { auto gone = std::move(moved); }
  auto third = creation_lock::acquire(file);
  REQUIRE(third.has_value());
  CHECK(third->creation() == 2);
}

TEST_CASE("creation_lock: garbage reads as 0, the counter skips 0, the file is 0600") {
  temp_dir dir;
  auto file = dir / "lock";
  std::vector<std::pair<std::string, std::uint32_t>> cases{
    {"", 1},      {"garbage", 1},    {"-5", 1},          {"12x", 1},
    {"41\n", 42}, {"4294967295", 1}, {"99999999999", 1}, {std::string(40, '1'), 1}};
  for (auto& [text, expected] : cases) {
    write(file, text);
    ::chmod(file.c_str(), 0644);
    auto lock = creation_lock::acquire(file);
    REQUIRE(lock.has_value());
    CHECK(lock->creation() == expected);
    CHECK(mode_of(file) == 0600);
  }
  auto missing = dir / "nope/lock";
  auto failed = creation_lock::acquire(missing);
  REQUIRE_FALSE(failed.has_value());
  CHECK(failed.error().what == dist_error::kind::system);
  CHECK(failed.error().detail.find(missing) != std::string::npos);
}

TEST_CASE("prepare_node_dir: creates 0700 directories, refuses open or odd ones") {
  temp_dir dir;
  auto nested = dir / "a/b/node";
  REQUIRE(prepare_node_dir(nested).has_value());
  CHECK(mode_of(nested) == 0700);
  CHECK(mode_of(dir / "a") == 0700);
  CHECK(prepare_node_dir(nested).has_value());  // again: already fine

  auto open = dir / "open";
  REQUIRE(::mkdir(open.c_str(), 0700) == 0);
  REQUIRE(::chmod(open.c_str(), 0755) == 0);
  auto refused = prepare_node_dir(open);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().what == dist_error::kind::bad_option);
  CHECK(refused.error().detail.find(open) != std::string::npos);

  auto file = dir / "plain";
  write(file, "x");
  auto not_dir = prepare_node_dir(file);
  REQUIRE_FALSE(not_dir.has_value());
  CHECK(not_dir.error().what == dist_error::kind::bad_option);
  CHECK(not_dir.error().detail.find("not a directory") != std::string::npos);

  CHECK_FALSE(prepare_node_dir("").has_value());

  if (::geteuid() == 0) {  // only root can hand a directory to someone else
    auto foreign = dir / "foreign";
    REQUIRE(::mkdir(foreign.c_str(), 0700) == 0);
    REQUIRE(::chown(foreign.c_str(), 65534, 65534) == 0);
    auto theirs = prepare_node_dir(foreign);
    REQUIRE_FALSE(theirs.has_value());
    CHECK(theirs.error().detail.find("owned by uid 65534") != std::string::npos);
  }
}
