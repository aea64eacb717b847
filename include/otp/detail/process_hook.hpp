#pragma once

namespace otp::detail {

/// A process's place in its node's list of running processes. Intrusive, so that starting a
/// process allocates nothing for the node's bookkeeping (a hash-map entry cost ~48 bytes per
/// process and an allocation per spawn). The node's own hook is the list's sentinel.
struct process_hook {
  process_hook* prev = this;
  process_hook* next = this;

  process_hook() = default;
  process_hook(const process_hook&) = delete;
  process_hook& operator=(const process_hook&) = delete;

  /// Inserts this hook after `head`.
  void link_after(process_hook& head) noexcept {
    prev = &head;
    next = head.next;
    head.next->prev = this;
    head.next = this;
  }
  /// Leaves the list (a no-op when not in one).
  void unlink() noexcept {
    prev->next = next;
    next->prev = prev;
    prev = next = this;
  }
};

}  // namespace otp::detail
