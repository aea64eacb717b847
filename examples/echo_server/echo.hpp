#pragma once

// An echo server as a caf-otp connection handler: a gen_server per connection that
// owns its socket and reads one packet at a time ({active, once}).

#include <otp/net/socket.hpp>

#include <utility>

struct echo {
  otp::net::socket sock;

  explicit echo(otp::net::socket s) : sock(std::move(s)) {
    sock.set_active(otp::net::active::once);
  }

  void handle_info(const otp::net::data& packet) {
    (void)sock.send(packet.bytes);            // written now, or queued until writable
    sock.set_active(otp::net::active::once);  // then the next packet
  }
  // net::closed is not handled: the connection's process stops `normal` when the peer closes.
};
