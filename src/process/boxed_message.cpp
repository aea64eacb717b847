// Messages whose user value is type-erased: the templates of a user's file describe a
// `box<T>` by its `box_ops` and build it in storage allocated here, so that no CAF template
// is instantiated for T. The layout matches CAF's own `(dispatch_ref, box<T>)` and `(box<T>)`
// tuples: the server matches and reads them as before.

#include "otp/detail/boxed_message.hpp"

#include "otp/detail/info_view.hpp"

#include <caf/all.hpp>  // every built-in type, for their type_info (builtin_types)
#include <caf/detail/message_data.hpp>
#include <caf/error.hpp>
#include <caf/make_type_erased_value.hpp>
#include <caf/type_erased_tuple.hpp>
#include <caf/type_erased_value.hpp>
#include <caf/type_nr.hpp>

#include <algorithm>
#include <array>
#include <cstddef>
#include <memory>
#include <new>
#include <utility>

namespace otp::detail {

namespace {

constexpr std::size_t round_up(std::size_t n, std::size_t align) noexcept {
  return (n + align - 1) & ~(align - 1);  // an alignment is a power of two
}

/// The `type_info` of each of CAF's built-in types, by type number.
template <class... Ts>
const std::array<const std::type_info*, sizeof...(Ts) + 1>& builtin_types(
  caf::detail::type_list<Ts...>) {
  static const std::array<const std::type_info*, sizeof...(Ts) + 1> table{nullptr, &typeid(Ts)...};
  return table;
}

const std::type_info* builtin_type(std::uint16_t nr) noexcept {
  const auto& table = builtin_types(caf::sorted_builtin_types{});
  return nr < table.size() ? table[nr] : nullptr;
}

// -- the elements of a boxed message ------------------------------------------------------------

/// Element 0 of a request, element 1 the box; a reply has only the box. The same for the
/// message and the mailbox element below.
struct boxed_elements {
  const dispatch* head;  // null: the message is `(box<T>)`
  const box_ops* ops;
  void* box;

  std::size_t size() const noexcept { return head ? 2 : 1; }
  bool is_head(std::size_t pos) const noexcept { return head && pos == 0; }

  std::uint32_t type_token() const noexcept {
    // Only the type numbers count, and every unsafe type's is 0.
    return head ? caf::make_type_token<dispatch_ref, dispatch_ref>()
                : caf::make_type_token<dispatch_ref>();
  }

  caf::rtti_pair type(std::size_t pos) const noexcept {
    return is_head(pos) ? caf::make_rtti_pair<dispatch_ref>() : caf::rtti_pair{0, ops->boxed};
  }

  std::string stringify(std::size_t pos) const {
    return is_head(pos) ? std::string{"dispatch_ref"} : ops->describe(box);
  }
};

/// One `box<T>` of its own, for CAF's `copy(pos)` (a message builder, a printed element).
class boxed_value final : public caf::type_erased_value {
 public:
  boxed_value(const box_ops& ops, const void* from) : ops_(&ops), storage_(allocate(ops)) {
    ops.copy(storage_.get(), from);
    live_ = true;
  }
  ~boxed_value() override {
    if (live_)
      ops_->destroy(storage_.get());
  }

  void* get_mutable() override { return storage_.get(); }
  caf::error load(caf::deserializer&) override { return {}; }  // never leaves the node
  caf::rtti_pair type() const override { return {0, ops_->boxed}; }
  const void* get() const override { return storage_.get(); }
  caf::error save(caf::serializer&) const override { return {}; }
  std::string stringify() const override { return ops_->describe(storage_.get()); }
  caf::type_erased_value_ptr copy() const override {
    return std::make_unique<boxed_value>(*ops_, storage_.get());
  }

 private:
  struct release {
    std::size_t align;
    void operator()(void* p) const noexcept { ::operator delete (p, std::align_val_t{align}); }
  };
  static std::unique_ptr<void, release> allocate(const box_ops& ops) {
    return {::operator new (ops.size, std::align_val_t{ops.align}), release{ops.align}};
  }

  const box_ops* ops_;
  std::unique_ptr<void, release> storage_;
  bool live_ = false;
};

caf::type_erased_value_ptr copy_element(const boxed_elements& e, std::size_t pos) {
  if (e.is_head(pos))
    return caf::make_type_erased_value<dispatch_ref>(dispatch_ref{e.head});
  return std::make_unique<boxed_value>(*e.ops, e.box);
}

// -- one allocation for the object and its box --------------------------------------------------

/// Allocates `Object` with `ops`'s box behind it (not yet constructed): CAF deletes its
/// messages and mailbox elements through `request_deletion`, which lets an object of a size
/// known only at run time free itself (`release`).
template <class Object>
struct boxed_layout {
  static std::size_t box_offset(const box_ops& ops) noexcept {
    return round_up(sizeof(Object), ops.align);
  }
  static std::size_t align(const box_ops& ops) noexcept {
    return std::max(alignof(Object), ops.align);
  }
  // The plain allocation unless the box needs more: the aligned one (memalign) costs more.
  static void* allocate(const box_ops& ops) {
    auto size = box_offset(ops) + ops.size;
    if (align(ops) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__)
      return ::operator new(size);
    return ::operator new (size, std::align_val_t{align(ops)});
  }
  static void deallocate(void* memory, const box_ops& ops) noexcept {
    if (align(ops) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__)
      ::operator delete(memory);
    else
      ::operator delete (memory, std::align_val_t{align(ops)});
  }
  static void* box_of(Object* self, const box_ops& ops) noexcept {
    return reinterpret_cast<std::byte*>(self) + box_offset(ops);
  }

  /// Builds `Object(args...)` with the box that `fill` constructs; nothing leaks if either
  /// throws.
  template <class Fill, class... Args>
  static Object* make(const box_ops& ops, Fill&& fill, Args&&... args) {
    void* memory = allocate(ops);
    Object* self = nullptr;
    try {
      self = ::new (memory) Object(std::forward<Args>(args)...);
    } catch (...) {
      deallocate(memory, ops);
      throw;
    }
    try {
      fill(box_of(self, ops));
    } catch (...) {
      self->~Object();
      deallocate(memory, ops);
      throw;
    }
    return self;
  }

  /// Destroys the box and the object and frees them: the object's `request_deletion`.
  static void release(const Object* object, const box_ops& ops) noexcept {
    auto* self = const_cast<Object*>(object);
    ops.destroy(box_of(self, ops));
    self->~Object();
    deallocate(self, ops);
  }
};

/// What both below are to CAF, a `type_erased_tuple` (`Base`, or derived from it) of a
/// request, `(dispatch_ref, box<T>)`, or a reply, `(box<T>)`, whose box lies behind the
/// `Derived` object (`boxed_layout<Derived>`).
template <class Derived, class Base>
class boxed_tuple : public Base {
 public:
  boxed_tuple(const dispatch* head, const box_ops& ops) noexcept : head_{head}, ops_(&ops) {}

  using Base::copy;  // message_data's copy() as well

  void* box() noexcept { return boxed_layout<Derived>::box_of(static_cast<Derived*>(this), *ops_); }

  void* get_mutable(std::size_t pos) override { return element(pos); }
  caf::error load(std::size_t, caf::deserializer&) override { return {}; }  // never read
  std::size_t size() const noexcept override { return elements().size(); }
  std::uint32_t type_token() const noexcept override { return elements().type_token(); }
  caf::rtti_pair type(std::size_t pos) const noexcept override { return elements().type(pos); }
  const void* get(std::size_t pos) const noexcept override {
    return const_cast<boxed_tuple*>(this)->element(pos);
  }
  std::string stringify(std::size_t pos) const override { return elements().stringify(pos); }
  caf::type_erased_value_ptr copy(std::size_t pos) const override {
    return copy_element(elements(), pos);
  }
  // Boxed values never leave the node: other nodes get bare values (remote_dispatch.hpp).
  caf::error save(std::size_t, caf::serializer&) const override { return {}; }

 protected:
  /// A message holding this tuple's elements, its box moved or copied.
  caf::message to_message(bool move) const {
    auto* from = const_cast<boxed_tuple*>(this)->box();
    return caf::message{caf::message::data_ptr{make_boxed_data(head_.d, *ops_, from, move), false}};
  }
  void release() const noexcept {
    boxed_layout<Derived>::release(static_cast<const Derived*>(this), *ops_);
  }

 private:
  static caf::detail::message_data* make_boxed_data(const dispatch* head, const box_ops& ops,
                                                    void* from, bool move);

  boxed_elements elements() const noexcept {
    return {head_.d, ops_, const_cast<boxed_tuple*>(this)->box()};
  }
  void* element(std::size_t pos) noexcept {
    return head_.d && pos == 0 ? static_cast<void*>(&head_) : box();
  }

  dispatch_ref head_;  // a request's element 0; null in a reply, which has no head
  const box_ops* ops_;
};

/// A message's contents: `(box<T>)` or `(dispatch_ref, box<T>)`.
class boxed_data final : public boxed_tuple<boxed_data, caf::detail::message_data> {
 public:
  using boxed_tuple::boxed_tuple;

  static boxed_data* make(const dispatch* head, const box_maker& value) {
    return boxed_layout<boxed_data>::make(
      *value.ops, [&](void* where) { value.make(value.context, where); }, head, *value.ops);
  }
  /// A message whose box is moved or copied out of another box.
  static boxed_data* make_from(const dispatch* head, const box_ops& ops, void* from, bool move) {
    return boxed_layout<boxed_data>::make(
      ops,
      [&](void* where) {
        if (move)
          ops.move(where, from);
        else
          ops.copy(where, from);
      },
      head, ops);
  }

  // -- message_data ---------------------------------------------------------------------------
  message_data* copy() const override { return to_message(false).vals().release(); }
  using boxed_tuple::copy;

  // -- memory_managed -------------------------------------------------------------------------
  void request_deletion(bool) const noexcept override { release(); }
};

template <class Derived, class Base>
caf::detail::message_data* boxed_tuple<Derived, Base>::make_boxed_data(const dispatch* head,
                                                                       const box_ops& ops,
                                                                       void* from, bool move) {
  return boxed_data::make_from(head, ops, from, move);
}

/// A cast's mailbox element, `(dispatch_ref, box<T>)`, its box behind it.
class boxed_element final : public caf::mailbox_element,
                            public boxed_tuple<boxed_element, caf::type_erased_tuple> {
 public:
  boxed_element(caf::strong_actor_ptr&& sender, const dispatch& d, const box_ops& ops)
    : caf::mailbox_element(std::move(sender), caf::make_message_id(), {}), boxed_tuple(&d, ops) {}

  // -- message_view ---------------------------------------------------------------------------
  caf::type_erased_tuple& content() override { return *this; }
  const caf::type_erased_tuple& content() const override { return *this; }
  caf::message move_content_to_message() override { return to_message(true); }
  caf::message copy_content_to_message() const override { return to_message(false); }

  // -- memory_managed -------------------------------------------------------------------------
  void request_deletion(bool) const noexcept override { release(); }
};

}  // namespace

// -- message_ref ---------------------------------------------------------------------------------

void message_ref::drop(void* data) noexcept {
  static_cast<caf::detail::message_data*>(data)->deref();
}

message_ref boxed_message(box_maker value) {
  return message_ref{boxed_data::make(nullptr, value)};
}

message_ref request_message(const dispatch& d, box_maker request) {
  return message_ref{boxed_data::make(&d, request)};
}

caf::mailbox_element_ptr cast_element(caf::strong_actor_ptr sender, const dispatch& d,
                                      box_maker request) {
  using layout = boxed_layout<boxed_element>;
  return caf::mailbox_element_ptr{layout::make(
    *request.ops, [&](void* where) { request.make(request.context, where); }, std::move(sender), d,
    *request.ops)};
}

bool element_is(const caf::type_erased_tuple& xs, std::size_t pos, const std::type_info& type) {
  auto [nr, info] = xs.type(pos);
  if (nr != 0)
    info = builtin_type(nr);
  return info && *info == type;
}

void* reply_value(message_ref& reply, const std::type_info& boxed, const std::type_info& bare,
                  bool& is_boxed) {
  auto msg = to_message(std::move(reply));
  void* value = nullptr;
  if (msg.size() == 1) {
    const auto& xs = std::as_const(msg).content();  // no copy: only looked at
    is_boxed = element_is(xs, 0, boxed);
    if (is_boxed || element_is(xs, 0, bare))
      value = msg.get_mutable(0);  // copied first if shared
  }
  reply = to_ref(std::move(msg));
  return value;
}

// -- info_view ------------------------------------------------------------------------------------

namespace {
caf::type_erased_tuple& tuple_of(void* tuple) noexcept {
  return *static_cast<caf::type_erased_tuple*>(tuple);
}
}  // namespace

std::size_t info_view::size() const noexcept {
  return tuple_of(tuple_).size();
}

bool info_view::is(std::size_t pos, const std::type_info& type) const noexcept {
  return element_is(tuple_of(tuple_), pos, type);
}

void* info_view::get_mutable(std::size_t pos) {
  return tuple_of(tuple_).get_mutable(pos);
}

void info_view::visit_message(void* context, void (*visit)(void*, const caf::message&)) const {
  auto msg = caf::message::copy(tuple_of(tuple_));
  visit(context, msg);
}

}  // namespace otp::detail
