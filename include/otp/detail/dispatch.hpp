#pragma once

#include "otp/detail/message_ref.hpp"

#include <cstdint>
#include <string>
#include <typeinfo>

namespace otp::detail {

class server_core;

/// What a request's handler left for the loop: a reply to send now, nothing to send (a cast),
/// or a reply given later or never (a `from`, `noreply`, a crash: the call stays delegated).
struct handled {
  enum class kind : std::uint8_t { delegated, done, reply };
  kind what = kind::delegated;
  message_ref reply = {};
};

/// What a call or cast carries besides its request: a call or cast is the message
/// `(dispatch_ref, box<T>)`. The caller's side knows the server's type and the request's type,
/// so it sends the function that hands the request to the right `handle_call` overload: no
/// registration, no type list.
struct dispatch {
  const void* tag;
  bool call;
  /// Runs the handler; a callback's exception crashes the server inside (never thrown out).
  handled (*invoke)(server_core&, void* payload);
  std::string (*describe)(const void* payload);
  /// A call's reply type, `typeid(box<R>)`; null for a cast. A call through the pid of a
  /// process of an Erlang node gets its reply as a term, which becomes an `R` through this.
  const std::type_info* reply = nullptr;
};

struct dispatch_ref {
  const dispatch* d;
};

}  // namespace otp::detail
