#pragma once

// C++ types as Erlang records: a type with CAF's `inspect` becomes the tuple Erlang writes for a
// record, its type name first, then its fields in inspect's order:
//
//   struct bump { std::int32_t by = 1; };
//   template <class Inspector>
//   typename Inspector::result_type inspect(Inspector& f, bump& x) {
//     return f(caf::meta::type_name("bump"), x.by);
//   }
//
//   otp::to_term(bump{10})                 // {bump,10}, as Erlang's #bump{by = 10}
//   otp::from_term<bump>(t)                // nullopt unless t is {bump, Integer}
//   otp::try_from_term<bump>(t)            // or why not: wrong_tag, wrong_arity, out_of_range at
//   {2}
//
// The fields convert by otp::term_traits, so they may be inspectable types themselves. A type
// without a type name becomes the bare tuple of its fields. CAF's formatting annotations are
// ignored; save and load callbacks run as CAF's own inspectors run them.

#include "otp/term/convert.hpp"
#include "otp/term/print.hpp"

#include <caf/meta/annotation.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/save_callback.hpp>
#include <caf/meta/type_name.hpp>

#include <cstddef>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

namespace otp::detail {

/// What the inspectors below share: CAF 0.17's inspector interface, each field (and each
/// annotation) handed to the derived class's `field`.
template <class Derived, bool Reads>
class term_inspector {
 public:
  using result_type = void;
  static constexpr bool reads_state = Reads;
  static constexpr bool writes_state = !Reads;

  template <class... Ts>
  void operator()(Ts&&... xs) {
    (static_cast<Derived*>(this)->field(xs), ...);
  }
};

/// An inspector that reads a value into its type name and its fields as terms.
class term_saver : public term_inspector<term_saver, true> {
 public:
  /// The record: the type name first (its slot stays [] until inspect names the type).
  std::vector<term> elements = std::vector<term>(1);
  bool named = false;

 private:
  friend term_inspector;
  template <class T>
  void field(T& x) {
    using U = std::remove_cv_t<T>;
    if constexpr (std::is_same_v<U, caf::meta::type_name_t>) {
      elements.front() = term{atom{x.value}};
      named = true;
    } else if constexpr (caf::meta::is_save_callback<U>::value) {
      static_cast<void>(x.fun());
    } else if constexpr (!caf::meta::is_annotation<U>::value) {
      elements.push_back(otp::to_term(x));
    }
  }
};

/// An inspector that reads a type's shape: its type name, if any, and how many fields it has.
class term_shape : public term_inspector<term_shape, true> {
 public:
  std::string name;
  bool named = false;
  std::size_t fields = 0;

  /// The tuple's size: the fields, and the tag of a named type.
  std::size_t arity() const noexcept { return fields + (named ? 1 : 0); }
  /// `a {bump,_} record`, `a tuple of 2`: what the type's term looks like.
  std::string describe() const {
    if (!named)
      return "a tuple of " + std::to_string(fields);
    std::string out = "a {" + to_string(atom{name});
    for (std::size_t i = 0; i < fields; ++i)
      out += ",_";
    return out + "} record";
  }

 private:
  friend term_inspector;
  template <class T>
  void field(T& x) {
    using U = std::remove_cv_t<T>;
    if constexpr (std::is_same_v<U, caf::meta::type_name_t>) {
      name = x.value;
      named = true;
    } else if constexpr (!caf::meta::is_annotation<U>::value) {
      ++fields;
    }
  }
};

/// An inspector that writes a value's fields from the elements of a tuple whose tag and size
/// were checked already. `ok` ends false at the first element that does not fit; `why` (when
/// not null) then says which and why.
class term_loader : public term_inspector<term_loader, false> {
 public:
  term_loader(std::span<const term> elements, std::size_t first, convert_error* why)
    : elements_(elements), next_(first), why_(why) {}

  bool ok() const noexcept { return ok_; }

 private:
  friend term_inspector;
  template <class T>
  void field(T& x) {
    using U = std::remove_cv_t<T>;
    if constexpr (caf::meta::is_load_callback<U>::value) {
      if (ok_)
        static_cast<void>(x.fun());
    } else if constexpr (!caf::meta::is_annotation<U>::value) {
      if (!ok_ || next_ >= elements_.size()) {
        ok_ = false;
        return;
      }
      auto v = otp::detail::from_term_why<U>(elements_[next_], why_);
      if (v) {
        x = std::move(*v);
      } else {
        ok_ = false;
        convert_step(why_, element_step(next_));
      }
      ++next_;
    }
  }

  std::span<const term> elements_;
  std::size_t next_;
  convert_error* why_;
  bool ok_ = true;
};

template <class T>
concept inspectable = requires(term_saver& s, term_loader& l, T& x) {
  inspect(s, x);
  inspect(l, x);
};

}  // namespace otp::detail

namespace otp::detail {

/// The shape of an inspectable type, read once from a default-constructed value.
template <inspectable T>
requires std::is_default_constructible_v<T>
const term_shape& record_shape() {
  static const term_shape shape = [] {
    T x{};
    term_shape s;
    inspect(s, x);
    return s;
  }();
  return shape;
}

/// True when `t` has the tag and the size of `T`'s record (its fields unchecked).
template <inspectable T>
bool has_record_shape(const term& t) {
  const auto& s = record_shape<T>();
  return t.is_tuple() && t.size() == s.arity() && (!s.named || t[0].is_atom(s.name));
}

}  // namespace otp::detail

namespace otp {

/// A type with CAF's inspect: a record, `{type_name, fields...}`.
template <detail::inspectable T>
struct term_traits<T> {
  static term to_term(const T& x) {
    detail::term_saver s;
    inspect(s, const_cast<T&>(x));  // a reading inspector: CAF's serializers do the same
    if (!s.named)
      return term::tuple(std::vector<term>(s.elements.begin() + 1, s.elements.end()));
    return term::tuple(std::move(s.elements));
  }
  static std::optional<T> from_term(
    const term& t, convert_error* why = nullptr) requires std::is_default_constructible_v<T> {
    const auto& shape = detail::record_shape<T>();
    using kind = convert_error::kind;
    if (!t.is_tuple()) {
      detail::convert_failed(why, kind::wrong_type, shape.describe(), t);
      return std::nullopt;
    }
    if (shape.named && (t.size() == 0 || !t[0].is_atom(shape.name))) {
      detail::convert_failed(why, kind::wrong_tag, shape.describe(), t);
      return std::nullopt;
    }
    if (t.size() != shape.arity()) {
      detail::convert_failed(why, kind::wrong_arity, shape.describe(), t);
      return std::nullopt;
    }
    T x{};
    detail::term_loader l{t.tuple_elements(), shape.named ? 1U : 0U, why};
    inspect(l, x);
    if (!l.ok())
      return std::nullopt;
    return x;
  }
};

}  // namespace otp
