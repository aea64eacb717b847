#pragma once

#include "otp/dist/dist_error.hpp"

#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace otp::dist::detail {

/// Which peers are connected or mid-handshake, shared by the carrier's I/O thread (which
/// admits handshakes) and the net_kernel process (which sees connections come and go).
class peer_table {
 public:
  explicit peer_table(std::string self) : self_(std::move(self)) {}

  const std::string& self() const noexcept { return self_; }

  /// May `peer` start a connection to us? One connection per pair of nodes: when both dial
  /// each other at once, the connection dialled by the node with the smaller name wins.
  std::optional<dist_error> admit(const std::string& peer) {
    std::lock_guard guard{mutex_};
    if (peer == self_)
      return dist_error{dist_error::kind::duplicate_name, "a node cannot connect to itself"};
    if (connected_.count(peer) != 0 || incoming_.count(peer) != 0)
      return dist_error{dist_error::kind::duplicate_name, peer + " is connected already"};
    if (outgoing_.count(peer) != 0 && self_ < peer)
      return dist_error{dist_error::kind::duplicate_name,
                        "our own connection to " + peer + " wins"};
    incoming_.insert(peer);
    return std::nullopt;
  }

  /// An outgoing handshake starts; false when one is running already.
  bool dialling(const std::string& peer) {
    std::lock_guard guard{mutex_};
    return outgoing_.insert(peer).second;
  }

  /// A handshake ended: the peer is connected (`up`) or not.
  void handshake_ended(const std::string& peer, bool outgoing, bool up) {
    std::lock_guard guard{mutex_};
    (outgoing ? outgoing_ : incoming_).erase(peer);
    if (up)
      connected_.insert(peer);
  }

  void disconnected(const std::string& peer) {
    std::lock_guard guard{mutex_};
    connected_.erase(peer);
  }

 private:
  std::mutex mutex_;
  std::string self_;
  std::set<std::string> connected_;
  std::set<std::string> incoming_;
  std::set<std::string> outgoing_;
};

}  // namespace otp::dist::detail
