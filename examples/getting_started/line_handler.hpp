// The tally's protocol, one line each way: "INCR name" and "GET name" answer with a number,
// anything else with "ERROR ...".
#pragma once

#include "counters.hpp"

#include <otp/net/socket.hpp>
#include <otp/process.hpp>

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace tally {

/// The reply line to one request line.
inline std::string answer(const otp::server_ref<counters>& server, std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
    line.remove_suffix(1);
  auto space = line.find(' ');
  auto command = line.substr(0, space);
  auto name = std::string{space == std::string_view::npos ? "" : line.substr(space + 1)};
  if (name.empty() || (command != "INCR" && command != "GET"))
    return "ERROR expected INCR <name> or GET <name>\n";
  auto count = command == "INCR" ? otp::gen_server::try_call(server, incr{name})
                                 : otp::gen_server::try_call(server, get{name});
  if (!count)
    return fmt::format("ERROR {}\n", count.error());
  return fmt::format("{}\n", *count);
}

/// One connection: a gen_server that owns its socket and answers one line at a time.
struct line_handler {
  otp::net::socket sock;

  explicit line_handler(otp::net::socket s) : sock(std::move(s)) {
    sock.set_active(otp::net::active::once);  // deliver the next line to handle_info
  }

  void handle_info(const otp::net::data& line) {
    // Looked up by name at each request: a restarted counters server is found again.
    auto server = otp::gen_server::whereis<counters>(otp::this_node(), "counters");
    (void)sock.send(server ? answer(*server, line.bytes) : "ERROR counters are restarting\n");
    sock.set_active(otp::net::active::once);
  }
  // When the peer closes, the connection's process stops `normal`: nothing to handle.
};

}  // namespace tally
