#pragma once

// Erlang's own distribution protocol: a caf-otp node that Erlang and Elixir nodes reach as
// `cpp@host`, over TCP or Unix sockets, beside caf-otp's own distribution
// (otp/dist/distribution.hpp).
//
//   otp::node node;
//   auto dist = otp::dist::erlang::distribution::start(node, {.name = "cpp", .cookie = "c"});
//   // Erlang:  {inbox, 'cpp@host'} ! hello.        net_adm:ping('cpp@host') -> pong
//   auto inbox = otp::spawn(node, [] { auto t = otp::receive<otp::term>(); ... });
//   (*dist)->register_name("inbox", inbox);         // Erlang's register/2
//   (*dist)->send("shell", "beam@host", otp::term::make_atom("hi"));  // {shell, 'beam@host'} ! hi
//
// Messages between the nodes are `otp::term`s; gen_server requests and replies may be C++
// types, which cross as Erlang records through their `inspect` (`serve`, `remote<S>`:
// `otp::gen_server::call(dist->remote<counter>("counter", "beta@host"), bump{10})` is
// Erlang's `gen_server:call({counter, 'beta@host'}, {bump, 10})`). Erlang's REG_SEND to a
// name registered on this node and its SEND to a pid this node handed out reach the process
// as an `otp::term` message (`otp::receive<otp::term>()`, a gen_server's
// `handle_info(const otp::term&)`). The node registers with epmd (Erlang's port mapper;
// `ERL_EPMD_PORT` is honoured) unless told not to, and dials `name@host` through epmd or
// `name@host:port` directly. See docs/distribution.md, "Speaking Erlang's distribution", for
// the flags, what works and what does not yet.

#include "otp/caf.hpp"
#include "otp/call_error.hpp"
#include "otp/detail/boxed_message.hpp"
#include "otp/dist/dist_error.hpp"
#include "otp/dist/term_types.hpp"
#include "otp/expected.hpp"
#include "otp/gen_server.hpp"
#include "otp/node.hpp"
#include "otp/pid.hpp"
#include "otp/term.hpp"
#include "otp/term/convert.hpp"
#include "otp/term/inspect.hpp"
#include "otp/timeout.hpp"
#include "otp/types.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace otp::dist::erlang {

class distribution;

/// A gen_server of another node, `{Name, Node}` as Erlang names it, whose requests and replies
/// are C++ types: `otp::gen_server::call(server, bump{10})` sends `{bump,10}` (the request's
/// `inspect`, otp/term/inspect.hpp) over Erlang's protocol and converts the reply back.
/// `S` says what the server takes: its `handle_call` / `handle_cast` overloads and its
/// `remote_requests`, as for caf-otp's other distribution; the server may be a caf-otp one
/// (`distribution::serve`) or Erlang's. Made by `distribution::remote<S>`, usable while that
/// distribution lives; the name is looked up at each call, as Erlang's `{Name, Node}` is.
template <class S>
class remote_server {
 public:
  remote_server(distribution& d, std::string name, std::string node_name)
    : dist_(&d), name_(std::move(name)), node_(std::move(node_name)) {}
  distribution& dist() const noexcept { return *dist_; }
  const std::string& name() const noexcept { return name_; }
  const std::string& node_name() const noexcept { return node_; }

 private:
  distribution* dist_;
  std::string name_;
  std::string node_;
};

struct options {
  /// `"cpp"` (this machine's short host name is added, as `erl -sname` does) or `"cpp@host"`.
  std::string name;
  /// Erlang's cookie (`-setcookie`): both nodes prove they know it (MD5 challenges).
  std::string cookie;
  /// How nodes reach each other. `tcp`: Erlang's own carrier, with epmd (or `name@host:port`).
  /// `uds`: Unix sockets in `directory`, no port mapper, as the ERTS guide's `uds_dist`: the
  /// node listens on `<directory>/<alive>.erl.sock` (0600), dials `beta@host` at
  /// `<directory>/beta.erl.sock`, and takes its creation from `<alive>.erl.lock`, which it holds
  /// while it runs (a second node of the name gets `name_in_use`; a socket file a dead node
  /// left is replaced). Both ends of a connection must use the same carrier.
  enum class carrier_type { tcp, uds };
  carrier_type carrier = carrier_type::tcp;
  /// `uds`: the 0700 directory of this user's nodes; empty: `otp::dist::default_directory()`
  /// (`/tmp/caf-otp-<uid>`), the one caf-otp's other distribution uses.
  std::string directory;
  /// `tcp`: where to listen; port 0 picks a free one.
  std::string listen_address = "0.0.0.0";
  std::uint16_t port = 0;
  /// `tcp`: register with epmd (and keep the registration open while the node runs).
  bool use_epmd = true;
  /// epmd's port; 0: `ERL_EPMD_PORT` if set, else 4369.
  std::uint16_t epmd_port = 0;
  /// Erlang's `net_ticktime`: a peer silent this long is disconnected (`nodedown`); a tick goes
  /// out every quarter of it when we have sent nothing else.
  std::chrono::milliseconds tick_time{60'000};
  /// Connect plus handshake (and epmd's answers).
  std::chrono::milliseconds handshake_timeout{7'000};
  /// A data packet announced longer than this ends the connection (`oversized`).
  std::size_t max_packet = std::size_t{64} << 20;
  /// Back-pressure: while more than this many bytes of messages wait to be written (all
  /// connections together), `send` waits — a process parks, a plain thread sleeps — as
  /// Erlang suspends a sender on a busy distribution channel (its dist_buf_busy_limit).
  std::size_t max_queued = std::size_t{4} << 20;
};

/// A node's presence in Erlang's distribution (Erlang's `net_kernel`): its listen socket, its
/// epmd registration, its connections and their I/O thread. Stops when destroyed.
class distribution {
 public:
  /// Listens, registers with epmd (the creation number comes from epmd; without epmd it is
  /// random) and starts the I/O thread. Errors: bad_name, bad_option, address_in_use,
  /// name_in_use (epmd has the name), unreachable (no epmd), timeout.
  static expected<std::unique_ptr<distribution>, dist_error> start(node& n, options opts);

  ~distribution();
  distribution(const distribution&) = delete;
  distribution& operator=(const distribution&) = delete;

  /// `cpp@host`.
  const std::string& name() const noexcept;
  std::uint32_t creation() const noexcept;
  /// The port we listen on (0 over Unix sockets).
  std::uint16_t port() const noexcept;

  /// `net_kernel:connect_node/1`, waiting at most `t`: a process parks meanwhile (its thread
  /// runs others), a plain thread blocks; sends connect on their own without waiting.
  /// `target`: `beam@host` or `beam@host:port`.
  expected<void, dist_error> connect(std::string_view target, timeout t = std::chrono::seconds{10});
  /// `erlang:disconnect_node/1`: false when not connected. Waits as `connect` does.
  bool disconnect(std::string_view node_name);
  /// The connected nodes (Erlang's `nodes(connected)`), sorted.
  std::vector<std::string> nodes() const;

  /// `{Name, Node} ! Msg` (REG_SEND), from the calling process (or from a null pid of this
  /// node outside processes). Connects if needed; the message waits for the handshake and is
  /// dropped if it fails, as Erlang drops a message to an unreachable node.
  void send(std::string_view name, std::string_view node_name, term message);
  /// `Pid ! Msg` for a pid of another node (SEND / SEND_SENDER); a pid of this node goes to
  /// the process. Connects if needed.
  void send(const erlang_pid& to, term message);

  /// Erlang's `register(Name, Pid)` for any process of this node (a gen_server started with a
  /// name is registered already): REG_SEND to `name` then reaches it. The name is freed when
  /// the process exits. False when the name is taken.
  bool register_name(const std::string& name, const pid& p);

  /// `erlang:monitor(process, {Name, Node})` from the calling process: when that process exits
  /// (or is not there, or the node goes away) the term `{'DOWN', Ref, process, {Name, Node},
  /// Reason}` arrives. Throws `std::logic_error` outside a process.
  erlang_ref monitor(std::string_view name, std::string_view node_name);
  /// `erlang:monitor(process, Pid)` for a process of another node, from the calling process:
  /// `{'DOWN', Ref, process, Pid, Reason}` when it exits (`noproc` when it was not there,
  /// `noconnection` when its node goes away). Throws `std::logic_error` outside a process.
  erlang_ref monitor(const erlang_pid& target);
  /// `erlang:demonitor(Ref)`: no `'DOWN'` for `ref` from now on.
  void demonitor(const erlang_ref& ref);

  /// `link(Pid)` from the calling process to a process of another node: `otp::link(process(
  /// remote))`. Its exit reaches us as an exit signal from its pid (a process that does not
  /// trap exits dies with it), `noproc` when it is not there, `noconnection` when its node goes
  /// away; our exit reaches it as Erlang's `EXIT`. Throws `std::logic_error` outside a process.
  void link(const erlang_pid& remote);
  /// `unlink(Pid)` (UNLINK_ID): neither exit reaches the other from now on.
  void unlink(const erlang_pid& remote);
  /// `monitor_node(Node, true)` from the calling process: the term `{nodedown, Node}` arrives
  /// once, when the connection goes down, or at once when it cannot be made. Connects if
  /// needed. Throws `std::logic_error` outside a process.
  void monitor_node(std::string_view node_name);

  /// `gen_server:call({Name, Node}, Request, Timeout)`, as Erlang's gen module makes it:
  /// monitor, `{'$gen_call', {self(), Ref}, Request}`, then `{Ref, Reply}` or the `'DOWN'`.
  /// From any process — a gen_server callback too — the caller parks (its thread runs other
  /// processes meanwhile); from a plain thread it blocks. The answer goes straight to the
  /// waiting call, never through the mailbox. Errors: noproc (no such name there), exited
  /// (the server exited; `noconnection` when the node went away), timeout (a reply that
  /// comes later is an ordinary message then).
  expected<term, call_error> call(std::string_view name, std::string_view node_name, term request,
                                  timeout t = default_call_timeout);

  /// The `otp::pid` of a process of another node (or of this one: its own pid, empty if this
  /// node never handed it out): the node's ordinary operations work on it as on a local
  /// process's pid — `otp::send` (SEND; the message as its term, `otp/dist/term_types.hpp`),
  /// `otp::link` / `unlink` (LINK / UNLINK_ID), `otp::monitor` / `demonitor` (MONITOR_P /
  /// DEMONITOR_P; its exit arrives as the same `down` a local monitor gives), `otp::exit`
  /// (EXIT2). Its exit reaches a linked process of ours as a local one's does (an exit signal
  /// that kills it, or `exit_signal` when it traps exits); its node's loss is `noconnection`
  /// for every link and monitor. Prints as Erlang does, `<N.Id.Serial>`; equal to every other
  /// pid naming the same process (node, id, serial, creation). `otp::gen_server::call` and
  /// `cast` through it (`otp::server_ref<S>{pid}`) go as Erlang's gen module's, the request and
  /// the reply converted by their term forms (`add_server_types<S>`). Any thread. This node
  /// keeps the process's handle while a pid of it, a link or a monitor refers to it, or until
  /// its node goes down.
  pid process(const erlang_pid& p);
  /// How other nodes see `p`: `<N.Id.Serial>` there; messages sent to it come back to `p`.
  erlang_pid pid_of(const pid& p);
  /// The caf-otp process `p` is on this node, if it is one handed out by `pid_of`.
  std::optional<pid> local_pid(const erlang_pid& p) const;

  /// `net_kernel:monitor_nodes(true)` for `p`: `{nodeup, Node}` and `{nodedown, Node}` arrive
  /// as `otp::term` messages.
  void monitor_nodes(const pid& p, bool on = true);

  /// `{Name, Node}` for typed calls and casts: `otp::gen_server::call(d.remote<S>(...), req)`.
  template <class S>
  remote_server<S> remote(std::string_view name, std::string_view node_name) {
    return remote_server<S>{*this, std::string{name}, std::string{node_name}};
  }

  /// A typed `gen_server:call` (what `otp::gen_server::try_call` on a `remote_server` runs):
  /// the request as its term (`{bump,10}`), the reply converted to `handle_call`'s reply type.
  /// Errors: those of `call`, and `badarg` when the server refused the request (it answered
  /// `{error, badarg}`) or its reply does not convert (logged with the reason).
  template <class S, class T>
  auto call(const remote_server<S>& server, T&& request, timeout t = default_call_timeout)
    -> expected<otp::detail::call_reply_t<S, T>, call_error>;
  /// A typed `gen_server:cast`: `{'$gen_cast', Term}` to `{Name, Node}`.
  template <class S, class T>
  void cast(const remote_server<S>& server, T&& request);

  /// Lets other nodes, Erlang's and caf-otp's, call and cast the gen_server `server` as one of
  /// theirs: a `gen_server:call(Server, Req)` (to its registered name or its pid) reaches the
  /// `handle_call` overload for `Req`, whose reply goes back as Erlang's gen module expects
  /// it, `{Tag, Reply}` to the caller (the reply as `otp::to_term` makes it); a
  /// `gen_server:cast` reaches `handle_cast`. Which overload: the server's `remote_requests`
  /// (`otp::types<bump, where>`), tried in order, by shape — a record type (a type with
  /// `inspect` and a type name) takes a tuple of its tag and size, `{bump, _}`, and then its
  /// fields must fit; another type takes what converts to it — and then
  /// `handle_call(const otp::term&)` / `handle_cast(const otp::term&)` if the server has them.
  /// Every type in `remote_requests` must convert to and from a term (`otp::term_traits`;
  /// records through `inspect`): one that does not is a compile error here, as it would be
  /// for `otp::to_term`. A request nothing takes, or whose fields do not fit its record, is
  /// refused and logged with the reason (`wrong_type at {2}: expected an integer ...`): a
  /// call is answered `{error, badarg}`, a cast dropped; the server never sees it. Other
  /// messages still arrive as `otp::term` infos. A call that fails (the server crashed,
  /// `call_timeout` passed) is not answered: the caller sees its monitor's `'DOWN'` or its
  /// own timeout, as with an Erlang server.
  template <class S>
  void serve(const server_ref<S>& server, timeout call_timeout = infinity);

  struct impl;
  /// The server's reply as a term; nothing when it is not one (an error: not answered).
  using reply_fn = std::optional<term> (*)(caf::message& reply);
  /// A call for a served server: the message its mailbox takes, and how its reply converts.
  struct served_call {
    caf::message message;
    reply_fn reply = nullptr;
  };
  /// The call for `server` of `request`, or why the server takes no such request.
  using request_fn = expected<served_call, std::string> (*)(const pid& server, const term& request);
  /// The cast of `request` for `server`: the mailbox element its mailbox takes (one
  /// allocation), or why the server takes no such request.
  using cast_fn = expected<caf::mailbox_element_ptr, std::string> (*)(const pid& server,
                                                                      const term& request);

 private:
  friend struct distribution_access;  // the tests, to hold the I/O thread and see its tables
  explicit distribution(std::unique_ptr<impl> i);
  void install(const pid& server, request_fn call, timeout call_timeout, cast_fn cast);
  /// The record shapes of a served server's request types, `{tag, size}` in their order:
  /// two of one shape are logged (a warning: the first takes every such request).
  void check_shapes(const std::vector<std::pair<std::string, std::size_t>>& shapes);
  /// A typed call's reply that does not convert: logged, `badarg`.
  call_error bad_reply(std::string_view name, std::string_view node_name, const term& reply,
                       const convert_error* why);
  std::unique_ptr<impl> impl_;
};

namespace detail {

/// Whether `S` takes `T` as a call (`Call`) or a cast.
template <class S, class T, bool Call>
inline constexpr bool takes =
  Call ? otp::detail::handles_call<S, T> : otp::detail::handles_cast<S, T>;

/// `R`, the reply of a call, as a term.
template <class R>
std::optional<term> reply_term(caf::message& m) {
  if (!m.match_elements<otp::detail::box<R>>())
    return std::nullopt;
  return otp::to_term(std::move(m.get_mutable_as<otp::detail::box<R>>(0).value));
}

/// What a served server takes for a request of type `T`: the call's message and how its
/// reply converts, or the cast's message.
template <class S, bool Call, class T>
auto take([[maybe_unused]] const pid& p, T&& request) {
  using R = std::conditional_t<Call, distribution::served_call, caf::mailbox_element_ptr>;
  if constexpr (Call) {
    return expected<R, std::string>{
      distribution::served_call{otp::detail::to_message(otp::detail::request_message(
                                  otp::detail::call_dispatch<S, std::decay_t<T>>,
                                  otp::detail::box_maker::of(std::forward<T>(request)))),
                                &reply_term<otp::detail::call_reply_t<S, T>>}};
  } else {
    return expected<R, std::string>{
      otp::detail::cast_element(nullptr, otp::detail::cast_dispatch<S, std::decay_t<T>>,
                                otp::detail::box_maker::of(std::forward<T>(request)))};
  }
}

/// `request` as `T` if it has `T`'s shape: true when `T` decided (into `out`: taken, or why
/// its fields do not fit), false when the request is not `T`'s.
template <class S, bool Call, class T, class Out>
bool take_as(const pid& p, const term& request, std::optional<Out>& out) {
  if constexpr (!takes<S, T, Call> || std::is_same_v<T, term>) {
    return false;
  } else if constexpr (otp::detail::inspectable<T>) {
    if (!otp::detail::has_record_shape<T>(request))
      return false;  // another record's tag or size: not this one's
    auto v = try_from_term<T>(request);
    if (!v)
      out.emplace(unexpected{to_string(v.error())});
    else
      out.emplace(take<S, Call>(p, std::move(*v)));
    return true;
  } else {
    auto v = from_term<T>(request);
    if (!v)
      return false;
    out.emplace(take<S, Call>(p, std::move(*v)));
    return true;
  }
}

template <class S, bool Call, class... Ts, class Out>
void take_typed(const pid& p, const term& request, std::optional<Out>& out, types<Ts...>) {
  static_cast<void>((take_as<S, Call, Ts>(p, request, out) || ...));
}

/// A request from another node for the served server `S`: its request types first, then its
/// callback of `otp::term`.
template <class S, bool Call>
auto serve_request(const pid& p, const term& request) {
  using R = std::conditional_t<Call, distribution::served_call, caf::mailbox_element_ptr>;
  std::optional<expected<R, std::string>> out;
  if constexpr (otp::detail::has_remote_requests<S>)
    take_typed<S, Call>(p, request, out, typename S::remote_requests{});
  if (out)
    return std::move(*out);
  if constexpr (takes<S, term, Call>)
    return take<S, Call>(p, term{request});
  else
    return expected<R, std::string>{
      unexpected{"no request type of the server takes " + to_string(request)}};
}

/// Registers the term form of every type among `Ts` that `S` takes (and of its calls'
/// replies): a served server's requests and replies may go to Erlang's processes by pid too.
template <class S, class... Ts>
void add_term_types(types<Ts...>) {
  auto add = []<class T>(std::type_identity<T>) {
    if constexpr (takes<S, T, true>) {
      otp::dist::add_term_type<T>();
      using R = otp::detail::call_reply_t<S, T>;
      if constexpr (!std::is_void_v<R> && otp::dist::detail::has_term_form<R>)
        otp::dist::add_term_type<R>();
    } else if constexpr (takes<S, T, false>) {
      otp::dist::add_term_type<T>();
    }
  };
  (add(std::type_identity<Ts>{}), ...);
}

/// The `{tag, size}` of each record type among `Ts`, in order.
template <class... Ts>
std::vector<std::pair<std::string, std::size_t>> record_shapes(types<Ts...>) {
  std::vector<std::pair<std::string, std::size_t>> out;
  auto add = [&out]<class T>(std::type_identity<T>) {
    if constexpr (otp::detail::inspectable<T>) {
      const auto& s = otp::detail::record_shape<T>();
      if (s.named)
        out.emplace_back(s.name, s.arity());
    }
  };
  (add(std::type_identity<Ts>{}), ...);
  return out;
}

template <class S, bool Call>
constexpr bool serves_any(types<>) {
  return false;
}
template <class S, bool Call, class T, class... Ts>
constexpr bool serves_any(types<T, Ts...>) {
  return takes<S, T, Call> || serves_any<S, Call>(types<Ts...>{});
}

/// Whether `S` takes any call (`Call`) or cast from other nodes.
template <class S, bool Call>
constexpr bool serves() {
  if constexpr (takes<S, term, Call>)
    return true;
  else if constexpr (otp::detail::has_remote_requests<S>)
    return serves_any<S, Call>(typename S::remote_requests{});
  else
    return false;
}

}  // namespace detail

/// Lets this program call and cast a gen_server of type `S` through the pid of a process of an
/// Erlang node (`otp::gen_server::call(otp::server_ref<S>{pid}, bump{10})`): registers the
/// term forms, both ways (otp/dist/term_types.hpp), of the types of `S::remote_requests` and
/// of the replies of its calls. `serve<S>` does it too, on the server's node.
template <class S>
void add_server_types() {
  static_assert(otp::detail::has_remote_requests<S>,
                "add_server_types: list the request types in `remote_requests`");
  detail::add_term_types<S>(typename S::remote_requests{});
}

template <class S>
void distribution::serve(const server_ref<S>& server, timeout call_timeout) {
  constexpr bool calls = detail::serves<S, true>();
  constexpr bool casts = detail::serves<S, false>();
  static_assert(calls || casts,
                "serve: the server takes no request from other nodes: list "
                "types in `remote_requests`, or handle otp::term");
  request_fn call = nullptr;
  cast_fn cast = nullptr;
  // The distribution delivers calls and casts itself (a call with its reply address): a call
  // for an idle server is handled at once on the I/O thread that read it, the rest go into
  // the mailbox.
  if constexpr (calls)
    call = &detail::serve_request<S, true>;
  if constexpr (casts)
    cast = &detail::serve_request<S, false>;
  if constexpr (otp::detail::has_remote_requests<S>) {
    check_shapes(detail::record_shapes(typename S::remote_requests{}));
    detail::add_term_types<S>(typename S::remote_requests{});
  }
  install(server, call, call_timeout, cast);
}

template <class S, class T>
auto distribution::call(const remote_server<S>& server, T&& request, timeout t)
  -> expected<otp::detail::call_reply_t<S, T>, call_error> {
  static_assert(otp::detail::handles_call<S, T>, "the server has no handle_call for this request");
  static_assert(otp::detail::remote_request<S, T>,
                "list the request type in the server's `remote_requests`");
  using R = otp::detail::call_reply_t<S, T>;
  auto reply = call(server.name(), server.node_name(), otp::to_term(request), t);
  if (!reply)
    return unexpected{std::move(reply.error())};
  if constexpr (std::is_same_v<R, term>) {
    return std::move(*reply);
  } else {
    convert_error why;
    if (auto v = otp::detail::from_term_why<R>(*reply, &why))
      return std::move(*v);
    return unexpected{bad_reply(server.name(), server.node_name(), *reply, &why)};
  }
}

template <class S, class T>
void distribution::cast(const remote_server<S>& server, T&& request) {
  static_assert(otp::detail::handles_cast<S, T>, "the server has no handle_cast for this request");
  static_assert(otp::detail::remote_request<S, T>,
                "list the request type in the server's `remote_requests`");
  send(server.name(), server.node_name(),
       term::tuple({term::make_atom("$gen_cast"), otp::to_term(request)}));
}

}  // namespace otp::dist::erlang

namespace otp::gen_server {

/// `gen_server:call({Name, Node}, Request)` over Erlang's distribution, typed: the reply, or a
/// typed error (`distribution::call`).
template <class S, class T>
auto try_call(const dist::erlang::remote_server<S>& server, T&& request,
              timeout t = default_call_timeout)
  -> expected<otp::detail::call_reply_t<S, T>, call_error> {
  return server.dist().call(server, std::forward<T>(request), t);
}

/// Like `try_call`, but throws the `call_error`.
template <class S, class T>
auto call(const dist::erlang::remote_server<S>& server, T&& request,
          timeout t = default_call_timeout) -> otp::detail::call_reply_t<S, T> {
  return server.dist().call(server, std::forward<T>(request), t).value();
}

/// `gen_server:cast({Name, Node}, Request)` over Erlang's distribution.
template <class S, class T>
void cast(const dist::erlang::remote_server<S>& server, T&& request) {
  server.dist().cast(server, std::forward<T>(request));
}

}  // namespace otp::gen_server
