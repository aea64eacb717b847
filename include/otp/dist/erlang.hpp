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
// Messages between the nodes are `otp::term`s. Erlang's REG_SEND to a name registered on this
// node and its SEND to a pid this node handed out reach the process as an `otp::term` message
// (`otp::receive<otp::term>()`, a gen_server's `handle_info(const otp::term&)`). The node
// registers with epmd (Erlang's port mapper; `ERL_EPMD_PORT` is honoured) unless told not to,
// and dials `name@host` through epmd or `name@host:port` directly. See docs/distribution.md,
// "Speaking Erlang's distribution", for the flags, what works and what does not yet.

#include "otp/caf.hpp"
#include "otp/call_error.hpp"
#include "otp/dist/dist_error.hpp"
#include "otp/expected.hpp"
#include "otp/gen_server.hpp"
#include "otp/node.hpp"
#include "otp/pid.hpp"
#include "otp/term.hpp"
#include "otp/term/convert.hpp"
#include "otp/timeout.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace otp::dist::erlang {

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

  /// `net_kernel:connect_node/1`, waiting at most `t` (call it from a plain thread: sends
  /// connect on their own without waiting). `target`: `beam@host` or `beam@host:port`.
  expected<void, dist_error> connect(std::string_view target, timeout t = std::chrono::seconds{10});
  /// `erlang:disconnect_node/1`: false when not connected.
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

  /// `link(Pid)` from the calling process to a process of another node. Its exit reaches us as
  /// an exit signal (`otp::exit` with its reason: a process that does not trap exits dies
  /// with it), `noproc` when it is not there, `noconnection` when its node goes away; our
  /// exit reaches it as Erlang's `EXIT`. Throws `std::logic_error` outside a process.
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

  /// How other nodes see `p`: `<N.Id.Serial>` there; messages sent to it come back to `p`.
  erlang_pid pid_of(const pid& p);
  /// The caf-otp process `p` is on this node, if it is one handed out by `pid_of`.
  std::optional<pid> local_pid(const erlang_pid& p) const;

  /// `net_kernel:monitor_nodes(true)` for `p`: `{nodeup, Node}` and `{nodedown, Node}` arrive
  /// as `otp::term` messages.
  void monitor_nodes(const pid& p, bool on = true);

  /// Lets Erlang processes use the gen_server `server` as one of theirs: a
  /// `gen_server:call(Server, Req)` from Erlang (to its registered name or its pid) reaches
  /// `handle_call(const otp::term&)`, whose reply (any type `otp::to_term` takes) goes back as
  /// Erlang's gen module expects it, `{Tag, Reply}` to the caller; `gen_server:cast` reaches
  /// `handle_cast(const otp::term&)`. Other messages still arrive as `otp::term` infos. A call
  /// that fails (the server crashed, `call_timeout` passed) is not answered: the Erlang caller
  /// sees its monitor's `'DOWN'` or its own timeout, as with an Erlang server.
  template <class S>
  void serve(const server_ref<S>& server, timeout call_timeout = infinity);

  struct impl;
  /// The call message for `server` (the mailbox shape of a call of an `otp::term`).
  using request_fn = caf::message (*)(const pid& server, term request);
  /// The server's reply as a term; nothing when it is not one (an error: not answered).
  using reply_fn = std::optional<term> (*)(caf::message& reply);
  using cast_fn = std::function<void(const pid& server, term request)>;

 private:
  friend struct distribution_access;  // the data path's tests, to hold the I/O thread
  explicit distribution(std::unique_ptr<impl> i);
  void install(const pid& server, request_fn call, reply_fn reply, timeout call_timeout,
               cast_fn cast);
  std::unique_ptr<impl> impl_;
};

template <class S>
void distribution::serve(const server_ref<S>& server, timeout call_timeout) {
  constexpr bool calls = otp::detail::handles_call<S, term>;
  constexpr bool casts = otp::detail::handles_cast<S, term>;
  static_assert(calls || casts, "serve: the server has no handle_call or handle_cast of otp::term");
  request_fn call = nullptr;
  reply_fn reply = nullptr;
  if constexpr (calls) {
    // The distribution enqueues the call itself, with its reply address (no process between):
    // these say how this server's calls and replies look in its mailbox.
    using R = otp::detail::call_reply_t<S, term>;
    call = [](const pid& p, term request) {
      return otp::detail::request_message<S, true>(otp::to_actor(p), std::move(request));
    };
    reply = [](caf::message& m) -> std::optional<term> {
      if (!m.match_elements<otp::detail::box<R>>())
        return std::nullopt;
      return to_term(std::move(m.get_mutable_as<otp::detail::box<R>>(0).value));
    };
  }
  cast_fn cast;
  if constexpr (casts)
    cast = [](const pid& p, term request) {
      gen_server::cast(server_ref<S>{p}, std::move(request));
    };
  install(server, call, reply, call_timeout, std::move(cast));
}

}  // namespace otp::dist::erlang
