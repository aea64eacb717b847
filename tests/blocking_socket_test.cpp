// Ensure that gen_tcp's blocking operations — listen, accept, a blocking read — park the process
// that waits in them and never its thread: on loopback and Unix sockets, killed while waiting,
// woken by a closed listen socket, by the hundred on one thread, in virtual time under the test
// kit, and in the accept_loop example.

#include "../examples/accept_loop/echo.hpp"
#include "net_client.hpp"

#include <doctest/doctest.h>

#include <otp/gen_server.hpp>
#include <otp/net/listen_socket.hpp>
#include <otp/node.hpp>
#include <otp/process.hpp>
#include <otp/spawn.hpp>
#include <otp/test/kit.hpp>

#include <fmt/format.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

using namespace std::chrono_literals;
namespace net = otp::net;
using test_net::client;
using test_net::eventually;

namespace {

struct seen {
  std::string what;
};

/// Runs its destructor when the process's stack is unwound.
struct witness {
  std::shared_ptr<std::atomic<int>> destroyed;
  ~witness() { ++*destroyed; }
};

struct add_one {
  int handle_call(const int& x) { return x + 1; }
};

/// A gen_server whose call accepts a connection and reads one packet, inside the callback.
struct read_once {};
struct socket_reader {
  net::listen_socket ls;
  explicit socket_reader(net::listen_socket l) : ls(std::move(l)) {}
  std::string handle_call(const read_once&) {
    auto s = net::accept(ls, 5s);
    if (!s)
      return std::string{to_string(s.error().what)};
    auto data = s->read(5s);
    return data ? *data : std::string{to_string(data.error().what)};
  }
};

net::endpoint loopback() {
  return net::endpoint::tcp("127.0.0.1", 0);
}

std::string what(const net::net_error& e) {
  return std::string{to_string(e.what)};
}

/// What results the processes of a test report, from any thread.
struct results {
  std::mutex mutex;
  std::vector<std::string> items;
  void add(std::string s) {
    std::lock_guard lock{mutex};
    items.push_back(std::move(s));
  }
  std::size_t size() {
    std::lock_guard lock{mutex};
    return items.size();
  }
  std::vector<std::string> all() {
    std::lock_guard lock{mutex};
    return items;
  }
};

/// A plain process that accepts one connection and echoes it: two reads of exactly 4 bytes,
/// then whatever comes, until the peer closes.
otp::pid echo_once(otp::node& node, net::listen_socket ls, std::shared_ptr<results> out) {
  return otp::spawn(node, [ls, out] {
    auto s = net::accept(ls, 5s);
    if (!s) {
      out->add(what(s.error()));
      return;
    }
    for (int i = 0; i < 2; ++i) {
      auto four = s->read(5s, 4);
      if (!four)
        return out->add(what(four.error()));
      (void)s->send(fmt::format("[{}]", *four));
    }
    for (;;) {
      auto data = s->read(5s);
      if (!data)
        return out->add(what(data.error()));
      (void)s->send(*data);
    }
  });
}

/// Kills `p` once it is in its wait: it must exit `killed` at once.
void kill_in_wait(const otp::pid& p) {
  std::this_thread::sleep_for(20ms);  // into its wait
  auto t0 = std::chrono::steady_clock::now();
  otp::exit(p, otp::exit_reason::kill());
  CHECK(otp::await_exit(p, 5s) == otp::exit_reason::killed());
  CHECK(std::chrono::steady_clock::now() - t0 < 1s);
}

void echo_through(otp::node& node, net::listen_socket ls, const std::function<client()>& connect) {
  auto out = std::make_shared<results>();
  auto p = echo_once(node, ls, out);
  auto c = connect();
  REQUIRE(c);
  REQUIRE(c.send("abcdefgh"));
  CHECK(c.recv(12) == "[abcd][efgh]");
  REQUIRE(c.send("hello"));
  CHECK(c.recv(5) == "hello");
  c = client{};  // closes: the process's read returns closed
  CHECK(otp::await_exit(p, 5s) == otp::exit_reason::normal());
  CHECK(out->all() == std::vector<std::string>{"closed"});
}

}  // namespace

TEST_CASE("blocking sockets: a plain process accepts, reads and sends on loopback TCP") {
  otp::node node{test_net::threaded()};
  auto ls = net::listen(node, {.address = loopback()}).value();
  REQUIRE(ls.port() != 0);
  echo_through(node, ls, [&] { return client::tcp(ls.port()); });
}

TEST_CASE("blocking sockets: a plain process accepts, reads and sends over a Unix socket") {
  otp::node node{test_net::threaded()};
  auto path = fmt::format("/tmp/otp-blocking-{}.sock", ::getpid());
  auto ls = net::listen(node, {.address = net::endpoint::local(path)}).value();
  echo_through(node, ls, [&] { return client::local(path); });
  ls.close();
  CHECK(!std::filesystem::exists(path));  // the socket file goes with the socket
}

TEST_CASE(
  "blocking sockets: a plain process in active mode receives net::data and net::closed, and a "
  "send larger than the kernel takes goes out as the peer reads") {
  otp::node node{test_net::threaded()};
  auto ls = net::listen(node, {.address = loopback()}).value();
  auto out = std::make_shared<results>();
  const std::string big(3 << 20, 'x');  // more than loopback's buffers hold before a read
  auto p = otp::spawn(node, [ls, out, big] {
    auto s = net::accept(ls, 5s);
    if (!s)
      return out->add(what(s.error()));
    s->set_active(net::active::once);
    auto packet = otp::receive<net::data>(5s);  // delivered by the socket's task
    if (!packet)
      return out->add("no net::data");
    out->add(packet->bytes);
    if (auto sent = s->send(big); !sent)  // the rest is written by the socket's task
      return out->add(what(sent.error()));
    s->set_active(net::active::once);
    out->add(otp::receive<net::closed>(10s) ? "closed" : "no net::closed");
  });
  auto c = client::tcp(ls.port());
  REQUIRE(c);
  REQUIRE(c.send("hello"));
  std::this_thread::sleep_for(100ms);  // not reading yet: the kernel's buffers fill up
  auto echoed = c.recv(big.size(), 10000ms);
  REQUIRE(echoed);
  CHECK(echoed->size() == big.size());
  CHECK((*echoed == big));  // not decomposed: doctest would print 3 MiB of either side
  c = client{};
  CHECK(otp::await_exit(p, 10s) == otp::exit_reason::normal());
  CHECK(out->all() == std::vector<std::string>{"hello", "closed"});
}

TEST_CASE("blocking sockets: accept and read from a plain thread block the thread") {
  otp::node node{test_net::threaded()};
  auto ls = net::listen(node, {.address = loopback()}).value();
  auto t0 = std::chrono::steady_clock::now();
  auto none = net::accept(ls, 50ms);
  REQUIRE(!none);
  CHECK(none.error().what == net::net_error::kind::timeout);
  CHECK(std::chrono::steady_clock::now() - t0 >= 50ms);
  auto c = client::tcp(ls.port());
  auto s = net::accept(ls, 5s).value();
  CHECK(s.read(50ms).error().what == net::net_error::kind::timeout);  // the socket stays open
  REQUIRE(c.send("x"));
  CHECK(s.read(5s).value() == "x");
  s.set_active(net::active::once);
  CHECK(s.read(5s).error().what == net::net_error::kind::bad_option);  // not on an active socket
}

TEST_CASE(
  "blocking sockets: an acceptor killed in accept exits killed at once, its stack unwound") {
  otp::node node{test_net::threaded()};
  auto ls = net::listen(node, {.address = loopback()}).value();
  auto destroyed = std::make_shared<std::atomic<int>>(0);
  auto waiting = std::make_shared<std::atomic<bool>>(false);
  auto after = std::make_shared<std::atomic<bool>>(false);
  auto p = otp::spawn(node, [ls, destroyed, waiting, after] {
    witness w{destroyed};
    waiting->store(true);
    (void)net::accept(ls);
    after->store(true);
  });
  REQUIRE(eventually([&] { return waiting->load(); }));
  kill_in_wait(p);
  CHECK(destroyed->load() == 1);
  CHECK(!after->load());
  // Its abandoned wait takes no connection: the next acceptor gets it.
  auto out = std::make_shared<results>();
  auto q = echo_once(node, ls, out);
  auto c = client::tcp(ls.port());
  REQUIRE(c.send("abcdefgh"));
  CHECK(c.recv(12) == "[abcd][efgh]");
  c = client{};
  CHECK(otp::await_exit(q, 5s) == otp::exit_reason::normal());
}

TEST_CASE("blocking sockets: a process killed in read exits killed at once, its socket closed") {
  otp::node node{test_net::threaded()};
  auto ls = net::listen(node, {.address = loopback()}).value();
  auto destroyed = std::make_shared<std::atomic<int>>(0);
  auto reading = std::make_shared<std::atomic<bool>>(false);
  auto p = otp::spawn(node, [ls, destroyed, reading] {
    witness w{destroyed};
    auto s = net::accept(ls, 5s).value();
    reading->store(true);
    (void)s.read();
    ++*destroyed;  // never: the kill unwinds past it
  });
  auto c = client::tcp(ls.port());
  REQUIRE(eventually([&] { return reading->load(); }));
  kill_in_wait(p);
  CHECK(destroyed->load() == 1);
  CHECK(c.closed_by_peer());  // the socket went with the stack
}

TEST_CASE("blocking sockets: closing the listen socket wakes every acceptor with closed") {
  otp::node node{test_net::threaded()};
  auto ls = net::listen(node, {.address = loopback()}).value();
  auto out = std::make_shared<results>();
  auto waiting = std::make_shared<std::atomic<int>>(0);
  std::vector<otp::pid> acceptors;
  for (int i = 0; i < 3; ++i)
    acceptors.push_back(otp::spawn(node, [ls, out, waiting] {
      ++*waiting;
      auto s = net::accept(ls);
      out->add(s ? "accepted" : what(s.error()));
    }));
  std::thread blocked{[ls, out, waiting] {
    ++*waiting;
    auto s = net::accept(ls);
    out->add(s ? "accepted" : what(s.error()));
  }};
  REQUIRE(eventually([&] { return waiting->load() == 4; }));
  std::this_thread::sleep_for(20ms);  // into their waits
  CHECK(out->size() == 0);
  auto t0 = std::chrono::steady_clock::now();
  ls.close();
  blocked.join();
  for (auto& p : acceptors)
    CHECK(otp::await_exit(p, 5s) == otp::exit_reason::normal());
  CHECK(std::chrono::steady_clock::now() - t0 < 1s);
  CHECK(out->all() == std::vector<std::string>(4, "closed"));
  CHECK(!client::tcp(ls.port()));  // refused
  CHECK(net::accept(ls, 1s).error().what == net::net_error::kind::closed);
}

TEST_CASE("blocking sockets: a listen socket closes when the process that opened it exits") {
  otp::node node{test_net::threaded()};
  auto handed = std::make_shared<std::promise<net::listen_socket>>();
  auto owner = otp::spawn(node, [handed] {
    handed->set_value(net::listen({.address = loopback()}).value());
    (void)otp::receive<seen>();
  });
  auto ls = handed->get_future().get();
  std::thread blocked_accept{
    [&] { CHECK(net::accept(ls, 5s).error().what == net::net_error::kind::closed); }};
  std::this_thread::sleep_for(20ms);
  otp::send(owner, seen{"stop"});
  blocked_accept.join();
  CHECK(!ls.is_open());
}

TEST_CASE("blocking sockets: 200 processes blocked in read on one thread do not hold it") {
  otp::node node{{.threads = 1, .log = otp::log_level::none}};
  auto ls = net::listen(node, {.address = loopback()}).value();
  auto reading = std::make_shared<std::atomic<int>>(0);
  auto out = std::make_shared<results>();
  constexpr int n = 200;
  std::vector<otp::pid> readers;
  for (int i = 0; i < n; ++i)
    readers.push_back(otp::spawn(node, [ls, reading, out] {
      auto s = net::accept(ls, 10s).value();
      ++*reading;
      auto data = s.read(10s);
      (void)s.send(data ? *data : what(data.error()));
    }));
  std::vector<client> clients;
  for (int i = 0; i < n; ++i) {
    clients.push_back(client::tcp(ls.port()));
    REQUIRE(clients.back());
  }
  REQUIRE(eventually([&] { return reading->load() == n; }, 10s));
  // Every reader waits; the one scheduler thread still serves another process at once.
  auto other = otp::gen_server::start<add_one>(node).value();
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i)
    CHECK(otp::gen_server::call(other, i, 1s) == i + 1);
  CHECK(std::chrono::steady_clock::now() - t0 < 1s);
  for (int i = 0; i < n; ++i)
    REQUIRE(clients[static_cast<std::size_t>(i)].send(fmt::format("{:03}", i)));
  for (int i = 0; i < n; ++i)
    CHECK(clients[static_cast<std::size_t>(i)].recv(3) == fmt::format("{:03}", i));
  for (auto& p : readers)
    CHECK(otp::await_exit(p, 5s) == otp::exit_reason::normal());
}

TEST_CASE("blocking sockets: a gen_server callback blocked in accept and read frees the thread") {
  otp::node node{{.threads = 1, .log = otp::log_level::none}};
  auto ls = net::listen(node, {.address = loopback()}).value();
  auto reader = otp::gen_server::start<socket_reader>(node, ls).value();
  auto other = otp::gen_server::start<add_one>(node).value();
  std::string result;
  std::thread caller{[&] { result = otp::gen_server::call(reader, read_once{}, 10s); }};
  std::this_thread::sleep_for(20ms);  // the reader waits in accept
  CHECK(otp::gen_server::try_call(other, 1, 1s).value_or(-1) == 2);
  auto c = client::tcp(ls.port());
  std::this_thread::sleep_for(20ms);  // now in read
  CHECK(otp::gen_server::try_call(other, 2, 1s).value_or(-1) == 3);
  REQUIRE(c.send("hi"));
  caller.join();
  CHECK(result == "hi");
}

TEST_CASE("blocking sockets: read and accept timeouts run in virtual time under the test kit") {
  otp::test::kit kit;
  auto probe = kit.make_probe();
  auto to = probe.pid();
  auto ls = net::listen(kit.node(), {.address = loopback()}).value();
  auto c = client::tcp(ls.port());  // waits in the backlog: the accept below takes it at once
  REQUIRE(c);
  auto real0 = std::chrono::steady_clock::now();
  auto t0 = kit.now();
  otp::spawn(kit.node(), [ls, to] {
    auto s = net::accept(ls, 1s).value();
    auto data = s.read(5s);  // nothing comes
    otp::send(to, seen{data ? *data : what(data.error())});
    (void)s.send("still open");
    auto next = net::accept(ls, 2s);  // nobody connects
    otp::send(to, seen{next ? "accepted" : what(next.error())});
  });
  kit.advance(4999ms);  // runs the process into its read
  CHECK(probe.size() == 0);
  kit.advance(1ms);
  CHECK(probe.expect<seen>().what == "timeout");  // after exactly 5 s of virtual time
  CHECK(kit.now() - t0 == 5s);
  CHECK(c.recv(10) == "still open");
  CHECK(probe.expect<seen>().what == "timeout");
  CHECK(kit.now() - t0 == 7s);
  CHECK(std::chrono::steady_clock::now() - real0 < 2s);
}

TEST_CASE("blocking sockets: the accept_loop example echoes, and stops with its server") {
  otp::node node{test_net::threaded()};
  auto server = echo_server::start(node, loopback()).value();
  auto port = socket_server::address(server).port();
  std::vector<client> clients;
  for (int i = 0; i < 10; ++i)
    clients.push_back(client::tcp(port));
  for (int round = 0; round < 3; ++round)
    for (std::size_t i = 0; i < clients.size(); ++i) {
      auto msg = fmt::format("{}.{}", round, i);
      REQUIRE(clients[i].send(msg));
      CHECK(clients[i].recv(msg.size()) == msg);
    }
  clients.clear();
  REQUIRE(otp::gen_server::stop(server).has_value());
  // The listen socket went with its owner: no one listens on the port any more.
  CHECK(eventually([&] { return !client::tcp(port); }));
}
