#pragma once

#include <caf/actor.hpp>

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

  /// The actor id: unique per node for the node's lifetime.
  std::uint64_t id() const noexcept { return handle_ ? handle_.id() : 0; }

  explicit operator bool() const noexcept { return static_cast<bool>(handle_); }

  friend bool operator==(const pid& a, const pid& b) noexcept { return a.id() == b.id(); }
  friend std::strong_ordering operator<=>(const pid& a, const pid& b) noexcept {
    return a.id() <=> b.id();
  }

 private:
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
  std::size_t operator()(const otp::pid& p) const noexcept {
    return std::hash<std::uint64_t>{}(p.id());
  }
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
