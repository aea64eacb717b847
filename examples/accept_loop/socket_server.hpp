#pragma once

// socket_server: a generic TCP server as a gen_server that owns the listen socket. It keeps one
// acceptor process blocked in `accept`; the acceptor that gets a connection casts `accepted`
// back, so the server spawns a replacement, and runs the connection's loop itself — straight
// code that blocks in `read`, as Erlang's blocks in gen_tcp:recv. Each process that waits is
// parked; no thread is held by a waiting acceptor or connection.
//
// It is Erlang's socket_server module, line for line (the Erlang is quoted beside each part):
// docs/socket_server.md shows the two side by side.

#include <otp/gen_server.hpp>
#include <otp/net/listen_socket.hpp>
#include <otp/process.hpp>
#include <otp/spawn.hpp>

#include <string>
#include <utility>

namespace socket_server {

/// The business logic of one connection (Erlang's `{M, F}`): runs in the acceptor's process,
/// which owns the socket.
using loop_fn = void (*)(otp::net::socket&);

// -define(TCP_OPTIONS, [binary, {packet, 0}, {active, false}, {reuseaddr, true}]).
inline otp::net::listen_options tcp_options(otp::net::endpoint port) {
  return {.address = std::move(port)};  // raw bytes, passive, SO_REUSEADDR: the defaults
}

// -record(server_state, {port, loop, ip=any, lsocket=null}).
struct server_state {
  otp::net::endpoint port;
  loop_fn loop = nullptr;
  otp::net::listen_socket lsocket = {};
};

/// `{accepted, Pid}`, cast by an acceptor that got a connection.
struct accepted {
  otp::pid pid;
};

/// A call for the bound address (the port is the real one when 0 was asked for).
struct which_address {};

class server;

// accept_loop({Server, LSocket, {M, F}}) ->
inline void accept_loop(otp::pid server_pid, otp::net::listen_socket lsocket, loop_fn loop) {
  //   {ok, Socket} = gen_tcp:accept(LSocket),
  auto socket = otp::net::accept(lsocket);
  if (!socket)
    return;  // closed: the server is gone (Erlang's acceptor would crash with a badmatch)
  //   % Let the server spawn a new process and replace this loop
  //   % with the echo loop, to avoid blocking
  //   gen_server:cast(Server, {accepted, self()}),
  otp::gen_server::cast(otp::server_ref<server>{server_pid}, accepted{otp::self()});
  //   M:F(Socket).
  loop(*socket);
}

class server {
 public:
  // init(State = #server_state{port=Port}) ->
  otp::init_result init(server_state s) {
    state_ = std::move(s);
    //   case gen_tcp:listen(Port, ?TCP_OPTIONS) of
    auto lsocket = otp::net::listen(tcp_options(state_.port));
    //     {ok, LSocket} -> NewState = State#server_state{lsocket = LSocket},
    //                      {ok, accept(NewState)};
    if (lsocket) {
      state_.lsocket = *lsocket;
      accept();
      return otp::ok();
    }
    //     {error, Reason} -> {stop, Reason}
    return otp::stop(otp::exit_reason::error(to_string(lsocket.error())));
  }

  // handle_cast({accepted, _Pid}, State=#server_state{}) -> {noreply, accept(State)}.
  void handle_cast(const accepted&) { accept(); }

  otp::net::endpoint handle_call(const which_address&) { return state_.lsocket.address(); }

 private:
  // accept(State = #server_state{lsocket=LSocket, loop = Loop}) ->
  //   proc_lib:spawn(?MODULE, accept_loop, [{self(), LSocket, Loop}]),
  //   State.
  void accept() {
    otp::spawn([server_pid = otp::self(), lsocket = state_.lsocket, loop = state_.loop] {
      accept_loop(server_pid, lsocket, loop);
    });
  }

  server_state state_;
};

// start(Name, Port, Loop) ->
//   State = #server_state{port = Port, loop = Loop},
//   gen_server:start_link({local, Name}, ?MODULE, State, []).
inline auto start(otp::node& node, std::string name, otp::net::endpoint port, loop_fn loop) {
  return otp::gen_server::start<server>(node, otp::start_options{.name = std::move(name)},
                                        server_state{.port = std::move(port), .loop = loop});
}

/// The bound address of a running server.
inline otp::net::endpoint address(const otp::server_ref<server>& s) {
  return otp::gen_server::call(s, which_address{});
}

}  // namespace socket_server
