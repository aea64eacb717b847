// The tally's tests. The counters, the protocol and a crash with its restart run under the
// test kit: one thread, virtual time, no sockets. The last test runs the whole service on a
// real node and talks to it over a Unix socket (no free TCP port needed).

#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "service.hpp"

#include <otp/node.hpp>
#include <otp/test/kit.hpp>

#include <fmt/format.h>

#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>
#include <string>
#include <string_view>

namespace gen_server = otp::gen_server;

TEST_CASE("counters count per name") {
  otp::test::kit kit;
  auto c = gen_server::start<tally::counters>(kit.node()).value();
  CHECK(gen_server::call(c, tally::incr{"apples"}) == 1);
  CHECK(gen_server::call(c, tally::incr{"apples"}) == 2);
  CHECK(gen_server::call(c, tally::get{"apples"}) == 2);
  CHECK(gen_server::call(c, tally::get{"pears"}) == 0);
}

TEST_CASE("each request line gets one reply line") {
  otp::test::kit kit;
  auto c = gen_server::start<tally::counters>(kit.node()).value();
  CHECK(tally::answer(c, "INCR apples\n") == "1\n");
  CHECK(tally::answer(c, "INCR apples\r\n") == "2\n");
  CHECK(tally::answer(c, "GET apples\n") == "2\n");
  CHECK(tally::answer(c, "GET\n") == "ERROR expected INCR <name> or GET <name>\n");
  CHECK(tally::answer(c, "hello\n") == "ERROR expected INCR <name> or GET <name>\n");
}

TEST_CASE("the supervisor restarts crashed counters, empty, under the same name") {
  otp::test::kit kit;
  auto sup = otp::supervisor::start_link(kit.node(), {}, {tally::counters_child()}).value();
  auto first = gen_server::whereis<tally::counters>(kit.node(), "counters").value();
  CHECK(gen_server::call(first, tally::incr{"apples"}) == 1);

  otp::exit(first, otp::exit_reason::kill());  // let it crash
  CHECK(kit.wait_exit(first) == otp::exit_reason::killed());
  kit.run();  // the supervisor's restart

  auto second = gen_server::whereis<tally::counters>(kit.node(), "counters").value();
  CHECK(second != first);
  CHECK(gen_server::call(second, tally::get{"apples"}) == 0);
  CHECK(otp::supervisor::which_children(sup).value().at(0).restarts == 1);
}

namespace {

/// A blocking client on a Unix socket: sends a line, returns the reply line ("" on error).
class line_client {
 public:
  explicit line_client(const std::string& path) : fd_(::socket(AF_UNIX, SOCK_STREAM, 0)) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    timeval five_seconds{5, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &five_seconds, sizeof(five_seconds));
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~line_client() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  line_client(const line_client&) = delete;
  line_client& operator=(const line_client&) = delete;

  std::string ask(std::string_view line) {
    if (fd_ < 0 || ::write(fd_, line.data(), line.size()) != static_cast<ssize_t>(line.size()))
      return "";
    std::string reply;
    char c = 0;
    while (::read(fd_, &c, 1) == 1) {
      reply += c;
      if (c == '\n')
        return reply;
    }
    return "";
  }

 private:
  int fd_;
};

}  // namespace

TEST_CASE("the service answers over a socket") {
  otp::node node;
  auto path = fmt::format("/tmp/tally-test-{}.sock", ::getpid());
  auto sup =
    otp::supervisor::start_link<tally::service>(node, otp::net::endpoint::local(path)).value();
  line_client client{path};
  CHECK(client.ask("INCR apples\n") == "1\n");
  CHECK(client.ask("INCR apples\n") == "2\n");
  CHECK(client.ask("GET apples\n") == "2\n");
  CHECK(client.ask("hello\n") == "ERROR expected INCR <name> or GET <name>\n");
  CHECK(gen_server::stop(sup).has_value());
}
