#include "dist/erlang/wire_replies.hpp"

#include <utility>

namespace otp::dist::erlang {

caf::message_id wire_replies::arm(call c) {
  std::lock_guard guard{mtx_};
  auto id = ++next_ & caf::message_id::request_id_mask;
  calls_.insert_or_assign(id, std::move(c));
  return caf::make_message_id<caf::message_priority::normal>(id);
}

void wire_replies::enqueue(caf::mailbox_element_ptr what, caf::execution_unit*) {
  if (!what->mid.is_response())
    return;  // nothing else is addressed to us
  // Under the lock while it writes, so `stop` cannot pull the writer away; a write never
  // blocks (it queues for the I/O thread when the socket is busy).
  std::lock_guard guard{mtx_};
  auto it = calls_.find(what->mid.request_id().integer_value());
  if (it == calls_.end())
    return;
  auto c = std::move(it->second);
  calls_.erase(it);
  if (!send_ || clock::now() > c.deadline)
    return;
  auto reply = what->move_content_to_message();
  if (auto value = c.convert(reply))
    send_(c.from, term::tuple({std::move(c.tag), std::move(*value)}));
}

void wire_replies::stop() {
  std::lock_guard guard{mtx_};
  send_ = nullptr;
  calls_.clear();
}

std::size_t wire_replies::waiting() const {
  std::lock_guard guard{mtx_};
  return calls_.size();
}

}  // namespace otp::dist::erlang
