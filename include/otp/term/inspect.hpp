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
//
// The fields convert by otp::term_traits, so they may be inspectable types themselves. A type
// without a type name becomes the bare tuple of its fields. CAF's formatting annotations are
// ignored; save and load callbacks run as CAF's own inspectors run them.

#include "otp/term/convert.hpp"

#include <caf/meta/annotation.hpp>
#include <caf/meta/load_callback.hpp>
#include <caf/meta/save_callback.hpp>
#include <caf/meta/type_name.hpp>

#include <cstddef>
#include <span>
#include <type_traits>
#include <vector>

namespace otp::detail {

/// An inspector that reads a value into its type name and its fields as terms.
class term_saver {
 public:
  using result_type = void;
  static constexpr bool reads_state = true;
  static constexpr bool writes_state = false;

  template <class... Ts>
  void operator()(Ts&&... xs) {
    (add(xs), ...);
  }

  /// The record: the type name first (its slot stays [] until inspect names the type).
  std::vector<term> elements = std::vector<term>(1);
  bool named = false;

 private:
  template <class T>
  void add(T& x) {
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

/// An inspector that writes a value's fields from the elements of a tuple, checking the type
/// name against the first element. `ok` ends false at the first element that does not fit.
class term_loader {
 public:
  using result_type = void;
  static constexpr bool reads_state = false;
  static constexpr bool writes_state = true;

  explicit term_loader(std::span<const term> elements) : elements_(elements) {}

  template <class... Ts>
  void operator()(Ts&&... xs) {
    (take(xs), ...);
  }

  /// Every element was used, and each fitted.
  bool done() const noexcept { return ok_ && next_ == elements_.size(); }

 private:
  template <class T>
  void take(T& x) {
    using U = std::remove_cv_t<T>;
    if constexpr (std::is_same_v<U, caf::meta::type_name_t>) {
      ok_ = ok_ && next_ == 0 && !elements_.empty() && elements_[0].is_atom(x.value);
      next_ = 1;
    } else if constexpr (caf::meta::is_load_callback<U>::value) {
      if (ok_)
        static_cast<void>(x.fun());
    } else if constexpr (!caf::meta::is_annotation<U>::value) {
      if (!ok_ || next_ >= elements_.size()) {
        ok_ = false;
        return;
      }
      auto v = otp::from_term<U>(elements_[next_++]);
      if (v)
        x = std::move(*v);
      else
        ok_ = false;
    }
  }

  std::span<const term> elements_;
  std::size_t next_ = 0;
  bool ok_ = true;
};

template <class T>
concept inspectable = requires(term_saver& s, term_loader& l, T& x) {
  inspect(s, x);
  inspect(l, x);
};

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
  static std::optional<T> from_term(const term& t) requires std::is_default_constructible_v<T> {
    if (!t.is_tuple())
      return std::nullopt;
    T x{};
    detail::term_loader l{t.tuple_elements()};
    inspect(l, x);
    return l.done() ? std::optional<T>{std::move(x)} : std::nullopt;
  }
};

}  // namespace otp
