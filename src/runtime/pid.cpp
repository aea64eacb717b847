#include "otp/pid.hpp"

#include "otp/caf.hpp"
#include "runtime/foreign_process.hpp"

#include <caf/node_id.hpp>

#include <tuple>

namespace otp {

using detail::pid_access;

namespace detail {

foreign_process* as_foreign(caf::actor_control_block* b) noexcept {
  if (b == nullptr || (b->id() & foreign_id_bit) == 0)
    return nullptr;
  return dynamic_cast<foreign_process*>(b->get());
}

}  // namespace detail

namespace {

auto key(const detail::foreign_process::identity& x) noexcept {
  return std::tie(x.node, x.creation, x.serial, x.id);
}

}  // namespace

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

pid::printed pid::print_parts() const noexcept {
  if (auto* f = detail::as_foreign(pid_access::block(*this))) {
    const auto& x = f->foreign_identity();
    return {x.node_index, x.id, x.serial};
  }
  return {0, id(), 0};
}

bool pid::same_process(const pid& a, const pid& b) noexcept {
  // Two handles of one Erlang process: a proxy of a pid met again after its node reconnected,
  // or one of each of two nodes of this program.
  auto* x = detail::as_foreign(pid_access::block(a));
  auto* y = x != nullptr ? detail::as_foreign(pid_access::block(b)) : nullptr;
  return y != nullptr && key(x->foreign_identity()) == key(y->foreign_identity());
}

std::strong_ordering pid::compare(const pid& a, const pid& b) noexcept {
  auto* fx = detail::as_foreign(pid_access::block(a));
  auto* fy = detail::as_foreign(pid_access::block(b));
  if (fx != nullptr || fy != nullptr) {
    if (fx == nullptr || fy == nullptr)  // the node's own processes first
      return fx == nullptr ? std::strong_ordering::less : std::strong_ordering::greater;
    return key(fx->foreign_identity()) <=> key(fy->foreign_identity());
  }
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
  auto mix = [](std::size_t h, std::size_t v) {
    return h ^ (v + std::size_t{0x9e3779b9} + (h << 6) + (h >> 2));
  };
  if (auto* f = detail::as_foreign(pid_access::block(*this))) {
    const auto& x = f->foreign_identity();
    auto h = std::hash<std::string_view>{}(x.node);
    h = mix(h, x.creation);
    return mix(h, (std::size_t{x.serial} << 32) | x.id);
  }
  auto h = std::hash<std::uint64_t>{}(id());
  if (auto* b = pid_access::block(*this))
    h = mix(h, std::hash<caf::node_id>{}(b->node()));
  return h;
}

}  // namespace otp
