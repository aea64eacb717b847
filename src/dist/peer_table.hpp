#pragma once

#include "otp/dist/dist_error.hpp"

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace otp::dist::detail {

class owned_fd;

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
    links_.erase(peer);
  }

  /// A connection handed to BASP, for reports (dist_report.hpp): `control` is the net_kernel's
  /// dup of its socket, which stays open until the peer is forgotten here.
  struct link {
    std::string via;
    std::shared_ptr<const owned_fd> control;
    std::chrono::steady_clock::time_point since;
  };

  void linked(const std::string& peer, link l) {
    std::lock_guard guard{mutex_};
    links_[peer] = std::move(l);
  }

  /// The connections handed to BASP, by peer name; read-only.
  std::map<std::string, link> links() const {
    std::lock_guard guard{mutex_};
    return links_;
  }

 private:
  mutable std::mutex mutex_;
  std::string self_;
  std::set<std::string> connected_;
  std::set<std::string> incoming_;
  std::set<std::string> outgoing_;
  std::map<std::string, link> links_;
};

}  // namespace otp::dist::detail
