#pragma once

#include <caf/allowed_unsafe_message_type.hpp>

#include <cstdint>
#include <memory>

namespace otp::detail {

class process_core;

/// Work that must run inside a particular process, outside its user's callbacks: an I/O
/// completion, for instance, whose handler runs on an I/O thread and only posts this. The
/// process runs it between messages, as it would handle a message.
class process_task {
 public:
  virtual ~process_task() = default;
  /// `event` tells the task which of its operations completed.
  virtual void run(process_core& self, std::uint32_t event) = 0;
};

/// The message that carries a task. Weak: a task whose owner dropped it is skipped, so an
/// operation that completes after its object was destroyed cannot touch it.
struct task_ref {
  std::weak_ptr<process_task> task;
  std::uint32_t event = 0;
};

}  // namespace otp::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otp::detail::task_ref)
