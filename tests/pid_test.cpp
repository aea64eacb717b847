// A pid names one process of one node: pids of two nodes are different even when their ids are
// the same, for equality, ordering and hashing alike.

#include <doctest/doctest.h>

#include <otp/caf.hpp>
#include <otp/gen_server.hpp>
#include <otp/node.hpp>

#include <fmt/format.h>

#include <set>
#include <unordered_set>

namespace {

struct ping {};
struct idle {
  int handle_call(const ping&) { return 0; }
};

otp::pid start_idle(otp::node& node) {
  return otp::gen_server::start<idle>(node).value();
}

}  // namespace

TEST_CASE("pid: processes of two nodes with the same id are different pids") {
  otp::node first{{.threads = 1}};
  otp::node second{{.threads = 1}};
  auto a = start_idle(first);
  auto b = start_idle(second);
  // Both nodes number their processes from the same start: catch the one behind up, so that
  // the test does not depend on how many processes each node started for itself.
  for (int i = 0; i < 100 && a.id() != b.id(); ++i) {
    if (a.id() < b.id())
      a = start_idle(first);
    else
      b = start_idle(second);
  }
  REQUIRE(a.id() == b.id());

  CHECK(a != b);
  CHECK((a <=> b) != 0);
  CHECK(((a < b) != (b < a)));
  CHECK(std::set<otp::pid>{a, b}.size() == 2);
  CHECK(std::unordered_set<otp::pid>{a, b}.size() == 2);

  auto copy = a;
  CHECK(copy == a);
  CHECK((copy <=> a) == 0);
  CHECK(std::hash<otp::pid>{}(copy) == std::hash<otp::pid>{}(a));
  CHECK(std::unordered_set<otp::pid>{a, copy}.size() == 1);
}

TEST_CASE("pid: a node's own pids order as their ids") {
  otp::node node{{.threads = 1}};
  auto a = start_idle(node);
  auto b = start_idle(node);
  CHECK(a.id() < b.id());
  CHECK(a < b);
  CHECK(otp::pid{} < a);
  CHECK(otp::pid{} == otp::pid{});
}

TEST_CASE("pid: copies and moves count references to the process's handle") {
  otp::node node{{.threads = 1}};
  auto a = start_idle(node);
  auto id = a.id();
  otp::pid copy = a;
  otp::pid moved = std::move(copy);
  CHECK_FALSE(copy);  // NOLINT(bugprone-use-after-move): a moved-from pid is empty
  CHECK(moved == a);
  copy = moved;
  moved = otp::pid{};
  CHECK_FALSE(moved);
  CHECK(copy == a);
  auto& self = copy;
  copy = self;  // self-assignment keeps the reference
  CHECK(copy.id() == id);
  copy = std::move(a);
  CHECK(copy.id() == id);
  CHECK_FALSE(a);  // NOLINT(bugprone-use-after-move)
  // The handle outlives the process: a stopped server's pid still compares and prints.
  REQUIRE(otp::gen_server::stop(copy).has_value());
  CHECK(copy.id() == id);
  CHECK(fmt::format("{}", copy) == fmt::format("<0.{}.0>", id));
}

TEST_CASE("pid: to and from a CAF handle, for programs that use CAF too") {
  otp::node node{{.threads = 1}};
  auto a = start_idle(node);
  caf::actor handle = otp::to_actor(a);
  CHECK(handle.id() == a.id());
  CHECK(otp::to_pid(handle) == a);
  CHECK(otp::to_pid(handle.address()) == a);
  CHECK(otp::actor_ptr(a) == caf::actor_cast<caf::abstract_actor*>(handle));
  CHECK_FALSE(otp::to_pid(caf::actor{}));
  CHECK_FALSE(otp::to_actor(otp::pid{}));
}
