#pragma once

// echo_server, on socket_server: the business logic alone, as in Erlang's echo_server module.

#include "socket_server.hpp"

namespace echo_server {

// loop(Socket) ->
//   case gen_tcp:recv(Socket, 0) of
//     {ok, Data} -> gen_tcp:send(Socket, Data), loop(Socket);
//     {error, closed} -> ok
//   end.
inline void loop(otp::net::socket& socket) {
  while (auto data = socket.read())
    (void)socket.send(*data);
}

// start() -> socket_server:start(?MODULE, 7000, {?MODULE, loop}).
inline auto start(otp::node& node, otp::net::endpoint port) {
  return socket_server::start(node, "echo_server", std::move(port), &loop);
}

}  // namespace echo_server
