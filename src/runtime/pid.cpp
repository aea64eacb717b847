#include "otp/pid.hpp"

#include "otp/caf.hpp"

#include <caf/node_id.hpp>

namespace otp {

using detail::pid_access;

pid::pid(const pid& other) noexcept : handle_(other.handle_) {
  if (handle_)
    caf::intrusive_ptr_add_ref(pid_access::block(*this));
}

pid& pid::operator=(const pid& other) noexcept {
  pid copy{other};
  std::swap(handle_, copy.handle_);
  return *this;
}

pid::~pid() {
  if (handle_)
    caf::intrusive_ptr_release(pid_access::block(*this));
}

std::uint64_t pid::id() const noexcept {
  auto* b = pid_access::block(*this);
  return b ? b->id() : 0;
}

std::strong_ordering pid::compare(const pid& a, const pid& b) noexcept {
  if (auto by_id = a.id() <=> b.id(); by_id != 0)
    return by_id;
  auto* x = pid_access::block(a);
  auto* y = pid_access::block(b);
  if (x && y)
    if (auto by_node = x->node().compare(y->node()); by_node != 0)
      return by_node <=> 0;
  return std::compare_three_way{}(x, y);  // two nodes of one program, or one pid empty
}

std::size_t pid::hash() const noexcept {
  auto h = std::hash<std::uint64_t>{}(id());
  if (auto* b = pid_access::block(*this))
    h ^= std::hash<caf::node_id>{}(b->node()) + std::size_t{0x9e3779b9} + (h << 6) + (h >> 2);
  return h;
}

}  // namespace otp
