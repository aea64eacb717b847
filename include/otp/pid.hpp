#pragma once

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>

#include <fmt/core.h>

#include <compare>
#include <cstdint>
#include <functional>

namespace otp {

/// A process identifier: the handle of a gen_server, a supervisor or any CAF actor.
///
/// Like an Erlang pid it can be copied freely, compared, printed (`<0.42.0>`) and used after the
/// process died (sends are then dropped, calls fail with `noproc`). Unlike a bare `caf::actor`, a
/// pid does not decide how long a caf-otp process lives: processes live until they exit.
class pid {
 public:
  pid() = default;
  explicit pid(caf::actor handle) : handle_(std::move(handle)) {}

  /// The CAF handle, for code that mixes caf-otp with plain CAF.
  const caf::actor& actor() const noexcept { return handle_; }

  /// The actor id: unique per node for the node's lifetime, so not across nodes: a process of
  /// another node, or of a second `otp::node` in this program, may have the same id.
  std::uint64_t id() const noexcept { return handle_ ? handle_.id() : 0; }

  explicit operator bool() const noexcept { return static_cast<bool>(handle_); }

  /// Two pids are equal when they name the same process: the same node, the same id. CAF keeps
  /// one handle per process in a node (a remote process has one proxy in each node that knows
  /// it), and a pid holds it alive, so the same handle is the same process. Comparing CAF's
  /// (node id, id) is not enough: two `otp::node`s in one program share CAF's node id.
  friend bool operator==(const pid& a, const pid& b) noexcept { return a.block() == b.block(); }

  /// Orders by id, then by node, so that a node's own processes sort as their ids do.
  friend std::strong_ordering operator<=>(const pid& a, const pid& b) noexcept {
    if (auto by_id = a.id() <=> b.id(); by_id != 0)
      return by_id;
    if (a == b)
      return std::strong_ordering::equal;
    if (a.handle_ && b.handle_)
      if (auto by_node = a.handle_.node().compare(b.handle_.node()); by_node != 0)
        return by_node <=> 0;
    return std::compare_three_way{}(a.block(), b.block());  // two nodes of one program
  }

  /// Mixes the node into the id's hash: equal pids hash alike, and the processes of two nodes
  /// with the same ids do not all collide.
  std::size_t hash() const noexcept {
    auto h = std::hash<std::uint64_t>{}(id());
    if (handle_)
      h ^=
        std::hash<caf::node_id>{}(handle_.node()) + std::size_t{0x9e3779b9} + (h << 6) + (h >> 2);
    return h;
  }

 private:
  const void* block() const noexcept { return caf::actor_cast<caf::actor_control_block*>(handle_); }

  caf::actor handle_;
};

/// A pid known to run the gen_server `S`: `gen_server::call` and `cast` check at compile time that
/// `S` handles the request. The check is repeated at run time, so a `server_ref<S>` made from the
/// pid of another kind of server fails its calls with `call_error::kind::badarg` instead of
/// corrupting memory.
template <class S>
class server_ref : public pid {
 public:
  server_ref() = default;
  explicit server_ref(pid p) : pid(std::move(p)) {}
};

}  // namespace otp

template <>
struct std::hash<otp::pid> {
  std::size_t operator()(const otp::pid& p) const noexcept { return p.hash(); }
};

template <>
struct fmt::formatter<otp::pid> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const otp::pid& p, FormatContext& ctx) const {
    if (!p)
      return fmt::format_to(ctx.out(), "undefined");
    return fmt::format_to(ctx.out(), "<0.{}.0>", p.id());
  }
};

template <class S>
struct fmt::formatter<otp::server_ref<S>> : fmt::formatter<otp::pid> {};
