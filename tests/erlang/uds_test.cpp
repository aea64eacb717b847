// Ensure that two caf-otp nodes speak Erlang's distribution over Unix sockets, the ERTS
// guide's carrier: no port mapper (the name is the socket's path in the node directory), the
// creation from the lock file, a second node of a name refused, a stale socket file replaced,
// calls and casts as Erlang's gen_server makes them, and a wrong cookie refused.

#include "otp/dist/erlang.hpp"
#include "otp/gen_server.hpp"
#include "otp/process.hpp"
#include "otp/spawn.hpp"

#include "in_process.hpp"
#include "uds_nodes.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <filesystem>
#include <future>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using namespace std::chrono_literals;
using otp::term;
namespace erl = otp::dist::erlang;
using test_erl::in_process;
using kind = otp::dist::dist_error::kind;

namespace {

using test_erl::node_dir;
using test_erl::uds_options;

std::unique_ptr<erl::distribution> start(otp::node& n, const node_dir& d, const std::string& name,
                                         const std::string& cookie = "c") {
  return test_erl::start_uds(n, d, name, cookie);
}

struct counter {
  std::int64_t n = 0;
  term handle_call(const term& request) {
    if (request.is_tuple() && request.size() == 2)
      n += otp::from_term<std::int64_t>(request[1]).value_or(0);
    return term{n};
  }
  void handle_cast(const term&) { ++n; }
};

}  // namespace

TEST_CASE("erlang dist over Unix sockets: handshake, calls and casts, no port mapper") {
  node_dir d;
  otp::node na;
  otp::node nb;
  auto a = start(na, d, "alpha");
  auto b = start(nb, d, "beta");
  CHECK(b->port() == 0);
  CHECK(std::filesystem::is_socket(d.path + "/beta.erl.sock"));
  auto s = otp::gen_server::start<counter>(nb, otp::start_options{.name = "counter"}).value();
  b->serve(s);
  auto beta = b->name();
  auto replies = in_process(na, [&] {
    std::vector<std::string> out;
    auto show = [&](const otp::expected<term, otp::call_error>& r) {
      out.push_back(r ? fmt::format("{}", *r) : std::string{to_string(r.error().what_kind())});
    };
    show(a->call("counter", beta, term::tuple({term::make_atom("bump"), term{5}})));
    a->send("counter", beta, term::tuple({term::make_atom("$gen_cast"), term::make_atom("one")}));
    show(a->call("counter", beta, term::make_atom("get")));
    show(a->call("nobody", beta, term::make_atom("get")));
    return out;
  });
  CHECK(replies == std::vector<std::string>{"5", "6", "noproc"});
  CHECK(a->nodes() == std::vector<std::string>{beta});
  CHECK(b->nodes() == std::vector<std::string>{a->name()});
}

TEST_CASE("erlang dist over Unix sockets: a wrong cookie is refused, not_allowed") {
  node_dir d;
  otp::node na;
  otp::node nb;
  auto a = start(na, d, "alpha", "one");
  auto b = start(nb, d, "beta", "two");
  auto r = a->connect(b->name(), 10s);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().what == kind::not_allowed);
  CHECK(a->nodes().empty());
  CHECK(b->nodes().empty());
}

TEST_CASE("erlang dist over Unix sockets: the lock file holds the name and its creation") {
  node_dir d;
  otp::node n1;
  otp::node n2;
  std::uint32_t first = 0;
  {
    auto b = start(n1, d, "beta");
    first = b->creation();
    auto again = erl::distribution::start(n2, uds_options(d, "beta", "c"));
    REQUIRE_FALSE(again.has_value());
    CHECK(again.error().what == kind::name_in_use);
  }
  CHECK_FALSE(std::filesystem::exists(d.path + "/beta.erl.sock"));  // removed when stopped
  auto b = start(n2, d, "beta");
  CHECK(b->creation() == first + 1);
}

TEST_CASE("erlang dist over Unix sockets: a stale socket file is no node, and is replaced") {
  node_dir d;
  // What a killed node leaves: a socket file nobody accepts on.
  auto path = d.path + "/beta.erl.sock";
  int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path.c_str());
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  ::close(fd);
  REQUIRE(std::filesystem::is_socket(path));
  otp::node na;
  otp::node nb;
  auto a = start(na, d, "alpha");
  auto beta = fmt::format("beta@{}", a->name().substr(a->name().find('@') + 1));
  auto t0 = std::chrono::steady_clock::now();
  auto r = a->connect(beta, 10s);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().what == kind::unreachable);
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);  // refused at once, no handshake timeout
  auto b = start(nb, d, "beta");
  auto up = a->connect(beta, 10s);
  CHECK_MESSAGE(up.has_value(), fmt::format("{}", up ? otp::dist::dist_error{} : up.error()));
  CHECK(a->nodes() == std::vector<std::string>{beta});
}

TEST_CASE("erlang dist over Unix sockets: a link or monitor to a node nobody runs: noconnection") {
  node_dir d;
  otp::node na;
  auto a = start(na, d, "alpha");
  auto host = a->name().substr(a->name().find('@') + 1);
  otp::erlang_pid gone{otp::atom{"nobody@" + host}, 1, 0, 1};
  auto linker = otp::spawn(na, [&] {
    a->link(gone);
    (void)otp::receive<term>(10s);
  });
  auto reason = otp::await_exit(linker, 15s);
  REQUIRE(reason.has_value());
  CHECK(reason->what() == otp::exit_reason::kind::noconnection);
  auto down = in_process(na, [&] {
    auto ref = a->monitor(gone);
    auto t = otp::receive<term>(10s);
    return t
           && *t
                == term::tuple({term::make_atom("DOWN"), term{ref}, term::make_atom("process"),
                                term{gone}, term::make_atom("noconnection")});
  });
  CHECK(down);
}
