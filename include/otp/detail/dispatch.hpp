#pragma once

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/message.hpp>
#include <caf/result.hpp>

#include <string>

namespace otp::detail {

class server_core;

/// What a call or cast carries besides its request: a call or cast is the message
/// `(dispatch_ref, box<T>)`. The caller's side knows the server's type and the request's type,
/// so it sends the function that hands the request to the right `handle_call` overload: no
/// registration, no type list.
struct dispatch {
  const void* tag;
  bool call;
  /// Runs the handler; a callback's exception crashes the server inside (never thrown out).
  caf::result<caf::message> (*invoke)(server_core&, void* payload);
  std::string (*describe)(const void* payload);
};

struct dispatch_ref {
  const dispatch* d;
};

}  // namespace otp::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(otp::detail::dispatch_ref)
