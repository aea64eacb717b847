#pragma once

// Erlang's `receive` for processes started with `otp::spawn`: selective receive by type, with
// guards and an `after` clause.
//
//     otp::receive(
//       [](const ping& p) { otp::send(p.from, pong{}); },
//       otp::when([](const job& j) { return j.urgent; }, [](const job& j) { run(j); }),
//       otp::after(5s, [] { otp::exit(otp::exit_reason::normal()); }));
//
// Messages are tried in the order they arrived, each against the clauses in the order given;
// the first message a clause takes is removed from the mailbox and its clause runs. Messages no
// clause takes stay in the mailbox, in order, for a later receive. While nothing matches, the
// process waits without holding a thread.

#include "otp/detail/boxed.hpp"
#include "otp/detail/message_ref.hpp"
#include "otp/timeout.hpp"

#include <cstddef>
#include <functional>
#include <optional>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>

namespace otp {

/// A guarded clause, `Pattern when Guard -> Body`: takes a message of `body`'s argument type
/// for which `guard` holds.
template <class Guard, class Body>
struct when_clause {
  Guard guard;
  Body body;
};

template <class Guard, class Body>
when_clause<Guard, Body> when(Guard guard, Body body) {
  return {std::move(guard), std::move(body)};
}

/// The `after T -> Body` clause: runs `body` when no message was taken within `t`. Last.
template <class Body>
struct after_clause {
  timeout t;
  Body body;
};

template <class Body>
after_clause<Body> after(timeout t, Body body) {
  return {t, std::move(body)};
}

/// `after T -> ok`.
inline auto after(timeout t) {
  return after(t, [] {});
}

namespace detail {

/// A message of the mailbox as the clauses look at it. A message sent with `otp::send` holds
/// one element, its `box<T>`; any other message shows no type, and no clause takes it.
struct received_view {
  const std::type_info* type;  ///< `typeid(box<T>)` of the only element; null: not a box
  const void* value;           ///< that element
};

/// Offered each message of the mailbox in arrival order: the index of the clause that takes it,
/// or -1.
using receive_matcher = int (*)(const void* clauses, const received_view& msg);

/// In a plain process: waits for a message some clause takes, removes it into `out` (which
/// keeps it alive while the clause runs), points `value` at its element and returns the
/// clause's index; -1 when `t` passes first. Throws `std::logic_error` elsewhere.
int receive_next(receive_matcher match, const void* clauses, timeout t, message_ref& out,
                 void*& value);

template <class F>
struct clause_signature : clause_signature<decltype(&F::operator())> {};
template <class R, class A>
struct clause_signature<R (*)(A)> {
  using param = A;
  using arg = std::decay_t<A>;
  using result = R;
};
template <class C, class R, class A>
struct clause_signature<R (C::*)(A) const> : clause_signature<R (*)(A)> {};
template <class C, class R, class A>
struct clause_signature<R (C::*)(A)> : clause_signature<R (*)(A)> {};

template <class C>
struct clause_traits {  // a plain clause: a function of one message
  using arg = typename clause_signature<std::decay_t<C>>::arg;
  using result = typename clause_signature<std::decay_t<C>>::result;
  static constexpr bool is_after = false;
  static bool takes(const C&, const arg&) { return true; }
  static result run(C& c, arg& msg) {
    return std::invoke(c, std::forward<typename clause_signature<std::decay_t<C>>::param>(msg));
  }
};
template <class G, class B>
struct clause_traits<when_clause<G, B>> {
  using arg = typename clause_signature<std::decay_t<B>>::arg;
  using result = typename clause_signature<std::decay_t<B>>::result;
  static constexpr bool is_after = false;
  static bool takes(const when_clause<G, B>& c, const arg& msg) {
    return static_cast<bool>(std::invoke(c.guard, msg));
  }
  static result run(when_clause<G, B>& c, arg& msg) {
    return std::invoke(c.body,
                       std::forward<typename clause_signature<std::decay_t<B>>::param>(msg));
  }
};
template <class B>
struct clause_traits<after_clause<B>> {
  using result = std::invoke_result_t<B&>;
  static constexpr bool is_after = true;
};

template <class... Cs>
inline constexpr bool has_after =
  clause_traits<std::decay_t<std::tuple_element_t<sizeof...(Cs) - 1, std::tuple<Cs...>>>>::is_after;

template <class C>
int match_one(const C& c, const received_view& msg, int index) {
  using traits = clause_traits<C>;
  if constexpr (traits::is_after) {
    return -1;
  } else {
    using boxed = box<typename traits::arg>;
    if (!msg.type || *msg.type != typeid(boxed))
      return -1;
    return traits::takes(c, static_cast<const boxed*>(msg.value)->value) ? index : -1;
  }
}

template <class Tuple, std::size_t... I>
int match_clauses(const void* clauses, const received_view& msg, std::index_sequence<I...>) {
  const auto& cs = *static_cast<const Tuple*>(clauses);
  int found = -1;
  ((found = found >= 0 ? found : match_one(std::get<I>(cs), msg, static_cast<int>(I))), ...);
  return found;
}

template <class Tuple>
int match_tuple(const void* clauses, const received_view& msg) {
  return match_clauses<Tuple>(clauses, msg, std::make_index_sequence<std::tuple_size_v<Tuple>>{});
}

template <class R, std::size_t I, class Tuple>
R run_clause(int index, Tuple& cs, void* value) {
  if constexpr (I + 1 < std::tuple_size_v<Tuple>) {
    if (index != static_cast<int>(I))
      return run_clause<R, I + 1>(index, cs, value);
  }
  auto& c = std::get<I>(cs);
  using traits = clause_traits<std::decay_t<decltype(c)>>;
  if constexpr (traits::is_after) {
    return std::invoke(c.body);
  } else {
    using boxed = box<typename traits::arg>;
    return traits::run(c, static_cast<boxed*>(value)->value);
  }
}

}  // namespace detail

/// `receive Clause1; Clause2; ... [after T -> Body] end`. Each clause is a function of one
/// message (its parameter type is the pattern), `when(guard, function)`, or, last,
/// `after(t, function)`. Returns what the clause that ran returns (all return the same type).
/// Only in a process started with `otp::spawn`; throws `std::logic_error` elsewhere.
template <class... Clauses>
requires(sizeof...(Clauses) > 0) auto receive(Clauses... clauses) {
  using clause_tuple = std::tuple<Clauses...>;
  using result = std::common_type_t<typename detail::clause_traits<Clauses>::result...>;
  clause_tuple cs{std::move(clauses)...};
  timeout t = infinity;
  if constexpr (detail::has_after<Clauses...>)
    t = std::get<sizeof...(Clauses) - 1>(cs).t;
  detail::message_ref msg;
  void* value = nullptr;
  int index = detail::receive_next(&detail::match_tuple<clause_tuple>, &cs, t, msg, value);
  if (index < 0)
    index = sizeof...(Clauses) - 1;  // timed out: only with an after clause
  return static_cast<result>(detail::run_clause<result, 0>(index, cs, value));
}

/// `receive Msg when is_T(Msg) -> Msg end`: the first message of type `T`.
template <class T>
T receive() {
  return receive([](T msg) { return msg; });
}

/// `receive Msg when is_T(Msg) -> Msg after T -> none end`.
template <class T>
std::optional<T> receive(timeout t) {
  return receive([](T msg) { return std::optional<T>{std::move(msg)}; },
                 after(t, [] { return std::optional<T>{}; }));
}

}  // namespace otp
