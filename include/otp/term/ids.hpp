#pragma once

#include "otp/term/atom.hpp"

#include <array>
#include <compare>
#include <cstdint>
#include <span>

namespace otp {

// Erlang's process, reference and port identifiers as the external term format carries them:
// the node's name and creation plus numbers. They are plain values (what `ei` calls
// erlang_pid, erlang_ref, erlang_port), distinct from `otp::pid`, the handle of a caf-otp
// process on this node.

/// A pid (NEW_PID_EXT): prints as `<0.Id.Serial>` on its own node, `<N.Id.Serial>` elsewhere.
struct erlang_pid {
  atom node;
  std::uint32_t id = 0;
  std::uint32_t serial = 0;
  std::uint32_t creation = 0;

  friend bool operator==(const erlang_pid&, const erlang_pid&) = default;
  /// Node, creation, then serial before id (the serial is the high part of a pid's number).
  friend std::strong_ordering operator<=>(const erlang_pid& a, const erlang_pid& b) noexcept;
};

/// A reference (NEWER_REFERENCE_EXT): up to five 32-bit words, prints as `#Ref<0.W2.W1.W0>`.
struct erlang_ref {
  static constexpr std::size_t max_words = 5;

  atom node;
  std::uint32_t creation = 0;
  std::array<std::uint32_t, max_words> words = {};  // words[0] first on the wire
  std::uint8_t length = 1;                          // 1..max_words

  std::span<const std::uint32_t> ids() const noexcept { return {words.data(), length}; }

  friend bool operator==(const erlang_ref& a, const erlang_ref& b) noexcept;
  /// Node, creation, then the words from the most significant (the last) down.
  friend std::strong_ordering operator<=>(const erlang_ref& a, const erlang_ref& b) noexcept;
};

/// A port (NEW_PORT_EXT, or V4_PORT_EXT for 64-bit ids): prints as `#Port<0.Id>`.
struct erlang_port {
  atom node;
  std::uint64_t id = 0;
  std::uint32_t creation = 0;

  friend bool operator==(const erlang_port&, const erlang_port&) = default;
  friend std::strong_ordering operator<=>(const erlang_port& a, const erlang_port& b) noexcept;
};

/// The name of this node for printing identifiers: pids, references and ports of this node print
/// with a 0 (`<0.45.0>`), those of other nodes with a small number per node, as Erlang prints
/// them (`<8123.45.0>`). Until distribution sets it, the name is Erlang's `nonode@nohost`.
void set_local_node(const atom& node);
atom local_node();

/// The number a node's identifiers print with: 0 for the local node, else a number given to each
/// node the first time it is printed and kept for the life of the program.
std::uint32_t node_print_index(const atom& node);

}  // namespace otp
