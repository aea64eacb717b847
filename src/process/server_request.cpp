// Calls and casts from the templates of a user's file (otp/detail/server_request.hpp), and the
// registry of the request types that cross nodes (otp/detail/remote_dispatch.hpp).

#include "otp/detail/server_request.hpp"

#include "otp/caf.hpp"
#include "otp/detail/boxed_message.hpp"
#include "otp/detail/remote_dispatch.hpp"
#include "process/foreign_server.hpp"
#include "process/request.hpp"
#include "process/send_refusal.hpp"
#include "process/server_core.hpp"

#include <caf/actor_system.hpp>
#include <caf/sec.hpp>

#include <deque>
#include <mutex>
#include <vector>

namespace otp::detail {

server_core& calling_server(const char* what);

// -- the request types that cross nodes ---------------------------------------------------------

namespace {

/// Registered as servers are exposed (before their nodes connect, mostly); read only for
/// requests to and from other nodes.
struct remote_registry {
  std::mutex mutex;
  // A deque: an entry's address, handed out by remote_request_for, survives later additions
  // (a vector's growth would move the entries under a reader on another thread).
  std::deque<remote_request_entry> entries;
};

remote_registry& registry() {
  static remote_registry r;
  return r;
}

}  // namespace

void add_remote_request(const remote_request_entry& e) {
  auto& r = registry();
  std::lock_guard guard{r.mutex};
  for (const auto& known : r.entries)
    if (known.local == e.local)
      return;
  r.entries.push_back(e);
}

const remote_request_entry* remote_request_for(const dispatch& d) {
  auto& r = registry();
  std::lock_guard guard{r.mutex};
  for (const auto& e : r.entries)  // never removed, never moved: the pointer stays valid
    if (e.local == &d)
      return &e;
  return nullptr;
}

const dispatch* remote_dispatch_for(const void* server, const caf::type_erased_tuple& xs,
                                    bool call) {
  auto& r = registry();
  std::lock_guard guard{r.mutex};
  for (const auto& e : r.entries)
    if (e.server == server && e.call == call && e.matches(xs))
      return e.bare;
  return nullptr;
}

// -- calls and casts ----------------------------------------------------------------------------

namespace {

bool is_remote(const caf::abstract_actor* server) noexcept {
  return server->node() != server->home_system().node();
}

/// The message for a call or cast: boxed with its dispatch locally; bare with a tag for
/// another node, where the server looks the type up among those exposed. Empty when `dest`
/// is gone or cannot read the request (a type not exposed to other nodes).
caf::message request_for(const caf::actor& dest, const dispatch& d, box_maker request) {
  if (!dest)
    return {};
  auto local = to_message(request_message(d, request));
  if (!is_remote(caf::actor_cast<caf::abstract_actor*>(dest)))
    return local;
  const auto* remote = remote_request_for(d);
  if (!remote)
    return {};
  return remote->encode(local.get_mutable(1));
}

}  // namespace

namespace {

/// The process of an Erlang node behind `server`, if it is one: its calls and casts take its
/// node's protocol, not a CAF request.
foreign_server* foreign(const pid& server) noexcept {
  return as_foreign_server(actor_ptr(server));
}

}  // namespace

expected<message_ref, call_error> call_server(const pid& server, const dispatch& d,
                                              box_maker request, timeout t) {
  if (auto* f = foreign(server))
    return f->call(d, request, t);
  auto dest = to_actor(server);
  auto response = detail::request(dest, request_for(dest, d, request), t);
  if (!response)
    return unexpected{std::move(response.error())};
  return to_ref(std::move(*response));
}

void cast_server(const pid& server, const dispatch& d, box_maker request) {
  auto* dest = actor_ptr(server);
  if (!dest)
    return;
  if (auto* f = as_foreign_server(dest)) {
    f->cast(d, request);
    return;
  }
  auto* self = process_core::current();
  caf::strong_actor_ptr sender = self ? caf::strong_actor_ptr{self->ctrl()} : nullptr;
  caf::mailbox_element_ptr element;
  if (!is_remote(dest)) {
    // The request lives in the element itself: one allocation, not two, and a server blocked
    // in a call from its `handle_cast` keeps the cast it handles for the whole wait.
    element = cast_element(std::move(sender), d, request);
  } else {
    auto msg = request_for(to_actor(server), d, request);
    if (msg.empty())
      return;  // a type not exposed to other nodes: dropped, like a cast to a dead server
    element =
      caf::make_mailbox_element(std::move(sender), caf::make_message_id(), {}, std::move(msg));
  }
  clear_send_refusal();
  dest->enqueue(std::move(element), self ? self->context() : nullptr);
  throw_if_send_refused();  // a full mailbox whose policy is fail_sender
}

void async_call_server(const pid& server, const dispatch& d, box_maker request, timeout t,
                       reply_handler on_reply) {
  // (supervisor::async_* come here too.)
  auto& self = calling_server("gen_server::async_call and supervisor::async_*");
  auto dest = to_actor(server);
  // Through the pid of an Erlang node's process: not yet (its reply is a term that only a
  // waiting call converts), refused as a request its node cannot read.
  auto msg = foreign(server) != nullptr ? caf::message{} : request_for(dest, d, request);
  if (msg.empty()) {
    message_ref none;
    on_reply(none);
    return;
  }
  self.request_async(dest, std::move(msg), t, std::move(on_reply));
}

call_error reply_error(message_ref& reply, const pid& server) {
  auto msg = to_message(std::move(reply));
  auto error = msg.match_elements<caf::error>()
                 ? to_call_error(msg.get_as<caf::error>(0), to_actor(server))
                 : to_call_error(caf::make_error(caf::sec::unexpected_response), to_actor(server));
  reply = to_ref(std::move(msg));
  return error;
}

}  // namespace otp::detail
