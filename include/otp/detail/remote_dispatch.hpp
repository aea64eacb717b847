#pragma once

// Calls and casts between nodes: a request type listed in a server's `remote_requests` travels
// bare, `(remote_call_atom | remote_cast_atom, T)`, for CAF to serialise, and its reply bare
// too. What that takes of each type is generated where the server is exposed to other nodes
// (`message_types::expose<S>`, which includes CAF anyway) and registered here, so that the
// code a user's file generates for a server needs no CAF.

#include "otp/detail/atoms.hpp"
#include "otp/detail/box.hpp"
#include "otp/detail/boxed_message.hpp"
#include "otp/detail/dispatch.hpp"
#include "otp/detail/server_impl.hpp"
#include "otp/types.hpp"

#include <caf/make_message.hpp>
#include <caf/message.hpp>
#include <caf/type_erased_tuple.hpp>

#include <utility>

namespace otp::detail {

/// One request type of one server, as other nodes send it.
struct remote_request_entry {
  const void* server;     ///< `&server_tag<S>`
  const dispatch* local;  ///< what a caller on this node sends (`call_dispatch<S, T>`, ...)
  const dispatch* bare;   ///< what the server runs for the request from another node
  bool call;
  /// True when element 1 of a remote envelope is a `T`.
  bool (*matches)(const caf::type_erased_tuple& xs);
  /// The remote envelope, `T` moved out of the `box<T>` at `boxed`.
  caf::message (*encode)(void* boxed);
};

/// Registers `e` (remote_dispatch.cpp); again for the same dispatch: no effect.
void add_remote_request(const remote_request_entry& e);
/// The entry whose `local` is `d`; null when the request's type is not exposed on this node.
const remote_request_entry* remote_request_for(const dispatch& d);
/// The dispatch that runs the remote envelope `xs` on the server `server` (its tag); null when
/// none was registered.
const dispatch* remote_dispatch_for(const void* server, const caf::type_erased_tuple& xs,
                                    bool call);

template <class R>
message_ref bare_reply(R&& value) {
  return to_ref(caf::make_message(std::move(value)));
}

template <class S, class T, bool Call>
void add_remote_request_of() {
  using tag = std::conditional_t<Call, remote_call_atom, remote_cast_atom>;
  const dispatch* local = nullptr;
  const dispatch* bare = nullptr;
  if constexpr (Call) {
    local = &call_dispatch<S, T>;
    bare = &call_dispatch<S, T, true>;
  } else {
    local = &cast_dispatch<S, T>;
    bare = &cast_dispatch<S, T, true>;
  }
  remote_request_entry e{
    &server_tag<S>,
    local,
    bare,
    Call,
    [](const caf::type_erased_tuple& xs) { return xs.match_element<T>(1); },
    [](void* boxed) {
      return caf::make_message(tag::value, std::move(static_cast<box<T>*>(boxed)->value));
    },
  };
  add_remote_request(e);
}

/// Registers every request type of `S::remote_requests` that S handles.
template <class S, class... Ts>
void add_remote_requests(types<Ts...>) {
  auto add = []<class T>() {
    if constexpr (handles_call<S, T>)
      add_remote_request_of<S, T, true>();
    if constexpr (handles_cast<S, T>)
      add_remote_request_of<S, T, false>();
  };
  (add.template operator()<Ts>(), ...);
}

}  // namespace otp::detail
