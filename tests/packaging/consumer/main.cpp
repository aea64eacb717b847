// A downstream program built against the installed caf-otp: a gen_server under a supervisor.

#include <otp/gen_server.hpp>
#include <otp/supervisor.hpp>
#include <otp/version.hpp>

#include <fmt/format.h>

struct ping {};

struct pong_server {
  std::string handle_call(const ping&) { return "pong"; }
};

int main() {
  otp::node node;
  auto sup =
    otp::supervisor::start_link(node, {}, {{.id = "pong", .start = otp::start_with<pong_server>()}})
      .value();
  auto child = otp::supervisor::which_children(sup).value().at(0).pid;
  auto reply = otp::gen_server::call(otp::server_ref<pong_server>{child}, ping{});
  fmt::print("{}: {}\n", otp::version(), reply);
  otp::gen_server::stop(sup).value();
  return reply == "pong" ? 0 : 1;
}
