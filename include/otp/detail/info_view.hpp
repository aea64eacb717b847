#pragma once

// An info message as the code generated for a user's server reads it: the elements of a CAF
// message by handle (src/process/info_view.cpp takes them apart), so that this code compiles
// without CAF.

#include <cstddef>
#include <type_traits>
#include <typeinfo>

namespace caf {
class message;
}  // namespace caf

namespace otp::detail {

class info_view {
 public:
  /// `tuple`: the message's `caf::type_erased_tuple`.
  explicit info_view(void* tuple) noexcept : tuple_(tuple) {}

  std::size_t size() const noexcept;
  /// True when element `pos` has the type `type` (CAF's built-in types included).
  bool is(std::size_t pos, const std::type_info& type) const noexcept;
  /// Element `pos`, of the type `is` said.
  void* get_mutable(std::size_t pos);

  /// Hands the elements, as a `caf::message`, to `f` (a catch-all
  /// `handle_info(const caf::message&)`, which includes CAF itself).
  template <class F>
  void as_message(F&& f) const {
    visit_message(&f, [](void* context, const caf::message& msg) {
      (*static_cast<std::remove_reference_t<F>*>(context))(msg);
    });
  }

 private:
  void visit_message(void* context, void (*visit)(void*, const caf::message&)) const;

  void* tuple_;
};

}  // namespace otp::detail
