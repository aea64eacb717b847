#pragma once

#include <fmt/core.h>

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <utility>

namespace otp {

namespace detail {
/// What a pid refers to; defined by the runtime (src/runtime/pid.cpp), never by a user.
struct process_handle;
struct pid_access;
}  // namespace detail

/// A process identifier: the handle of a gen_server, a supervisor or any process of a node.
///
/// Like an Erlang pid it can be copied freely, compared, printed (`<0.42.0>`) and used after the
/// process died (sends are then dropped, calls fail with `noproc`). A pid does not decide how long
/// a process lives: processes live until they exit.
///
/// A pid is one counted reference to the process's handle in this program: the process itself,
/// or the proxy of a process of another node that this node has met — over caf-otp's BASP
/// distribution, or over Erlang's (`otp::dist::erlang::distribution::process`), where the pid
/// names an Erlang process (node, id, serial, creation) and prints as Erlang does,
/// `<N.Id.Serial>`. Its representation is the library's own and private, and every question
/// about it (id, equality, order, hash, printing) is answered out of line. Code that mixes
/// caf-otp with plain CAF converts with `otp/caf.hpp`.
class pid {
 public:
  pid() noexcept = default;
  pid(const pid& other) noexcept;
  pid(pid&& other) noexcept : handle_(std::exchange(other.handle_, nullptr)) {}
  pid& operator=(const pid& other) noexcept;
  pid& operator=(pid&& other) noexcept {
    pid taken{std::move(other)};  // `other` is left empty; what this pid held is released
    std::swap(handle_, taken.handle_);
    return *this;
  }
  ~pid();

  /// The process's number: unique per node for the node's lifetime, so not across nodes: a
  /// process of another node, or of a second `otp::node` in this program, may have the same id.
  /// A process of an Erlang node has an id of this program's with the top bit set (never one
  /// of a local process's); its Erlang id and serial are what it prints (`print_parts`).
  std::uint64_t id() const noexcept;

  /// What prints: `<Node.Id.Serial>`, `Node` 0 for this node's processes (and BASP's proxies),
  /// an Erlang node's index in this program for its processes, as Erlang prints them.
  struct printed {
    std::uint32_t node = 0;
    std::uint64_t id = 0;
    std::uint32_t serial = 0;
  };
  printed print_parts() const noexcept;

  explicit operator bool() const noexcept { return handle_ != nullptr; }

  /// Two pids are equal when they name the same process: the same node, the same id. A node
  /// keeps one handle per process (a remote process has one proxy in each node that knows it),
  /// and a pid holds it alive, so the same handle is the same process. Comparing ids and node
  /// names is not enough: two `otp::node`s in one program share a node name. A process of an
  /// Erlang node is its node, id, serial and creation, whichever handle names it (a proxy made
  /// after its node reconnected, or one of each of two `otp::node`s).
  friend bool operator==(const pid& a, const pid& b) noexcept {
    return a.handle_ == b.handle_ || (a.handle_ && b.handle_ && same_process(a, b));
  }

  /// Orders by id, then by node, so that a node's own processes sort as their ids do.
  friend std::strong_ordering operator<=>(const pid& a, const pid& b) noexcept {
    return a.handle_ == b.handle_ ? std::strong_ordering::equal : compare(a, b);
  }

  /// Mixes the node into the id's hash: equal pids hash alike, and the processes of two nodes
  /// with the same ids do not all collide.
  std::size_t hash() const noexcept;

 private:
  friend struct detail::pid_access;
  static std::strong_ordering compare(const pid& a, const pid& b) noexcept;
  static bool same_process(const pid& a, const pid& b) noexcept;

  detail::process_handle* handle_ = nullptr;
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
    auto x = p.print_parts();
    return fmt::format_to(ctx.out(), "<{}.{}.{}>", x.node, x.id, x.serial);
  }
};

template <class S>
struct fmt::formatter<otp::server_ref<S>> : fmt::formatter<otp::pid> {};
