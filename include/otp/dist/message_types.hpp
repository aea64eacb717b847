#pragma once

#include "otp/detail/remote_dispatch.hpp"
#include "otp/detail/server_impl.hpp"
#include "otp/detail/server_traits.hpp"
#include "otp/detail/type_name.hpp"
#include "otp/dist/term_types.hpp"
#include "otp/types.hpp"

#include <caf/actor_system_config.hpp>
#include <caf/type_nr.hpp>

#include <functional>
#include <string>
#include <vector>

namespace otp::dist {

/// The types that cross node boundaries. CAF serialises them, so each needs a default
/// constructor and CAF's `inspect` overload, and both nodes must register it under the same
/// name (the demangled C++ name unless given).
class message_types {
 public:
  /// One message type.
  template <class T>
  message_types& add(std::string name = otp::detail::type_name<T>()) {
    if constexpr (caf::type_nr<T>::value == 0)  // CAF's built-in types need no registration
      adders_.push_back([name](caf::actor_system_config& cfg) { cfg.add_message_type<T>(name); });
    return *this;
  }

  /// One message type that may also go to processes of Erlang nodes (`otp::send` to a pid
  /// of `erlang::distribution::process`): registered for CAF and with its term form
  /// (otp/dist/term_types.hpp). Not done by `add`, since a type may cross caf-otp's BASP
  /// distribution with fields that have no term (a `caf::actor`, a `server_ref`).
  template <class T>
  message_types& add_term(std::string name = otp::detail::type_name<T>()) {
    add<T>(std::move(name));
    add_term_type<T>();
    return *this;
  }

  /// Every request in `S::remote_requests` and the replies of its calls: what other nodes
  /// need to call and cast to an `S`.
  template <class S>
  message_types& expose() {
    static_assert(otp::detail::has_remote_requests<S>,
                  "declare `using remote_requests = otp::types<...>;` in the server");
    add_requests<S>(typename S::remote_requests{});
    // How this node sends those requests and runs them when they come from another node.
    otp::detail::add_remote_requests<S>(typename S::remote_requests{});
    return *this;
  }

  void apply(caf::actor_system_config& cfg) const {
    for (const auto& add_to : adders_)
      add_to(cfg);
  }

 private:
  template <class S, class... Ts>
  void add_requests(otp::types<Ts...>) {
    (add_request<S, Ts>(), ...);
  }

  template <class S, class T>
  void add_request() {
    add<T>();
    if constexpr (otp::detail::handles_call<S, T>)
      add<otp::detail::call_reply_t<S, T>>();
  }

  std::vector<std::function<void(caf::actor_system_config&)>> adders_;
};

}  // namespace otp::dist
