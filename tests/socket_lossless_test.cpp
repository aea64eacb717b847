// Nothing the socket server accepted is lost, nothing leaks: data queued when a peer
// half-closes or a handler closes still reaches the peer; descriptors do not leak into child
// processes. Loopback and Unix sockets, ephemeral ports, bounded waits.

#include "child_fds.hpp"
#include "net_client.hpp"

#include <otp/gen_server.hpp>
#include <otp/net/listener.hpp>
#include <otp/node.hpp>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>

#include <fcntl.h>

using namespace std::chrono_literals;
using test_net::client;
using test_net::eventually;
using test_net::loopback;
using test_net::threaded;
namespace net = otp::net;

namespace {

/// Echoes every u32-framed packet; stops `normal` when the peer closes (the default).
struct frame_echo {
  net::socket sock;
  explicit frame_echo(net::socket s) : sock(std::move(s)) { sock.set_active(net::active::on); }
  void handle_info(const net::data& d) {
    if (!sock.send(d.bytes))
      throw std::runtime_error("send failed");
  }
};

std::string u32_frame(std::string_view payload) {
  std::string f(4, '\0');
  auto n = static_cast<std::uint32_t>(payload.size());
  for (int i = 0; i < 4; ++i)
    f[static_cast<std::size_t>(i)] = static_cast<char>((n >> (8 * (3 - i))) & 0xff);
  f.append(payload);
  return f;
}

}  // namespace

TEST_CASE("lossless: a peer that writes 24 MB, half-closes, then reads gets every byte echoed") {
  otp::node node{threaded()};
  auto opts = loopback();
  opts.framing = net::framing{.packet = net::packet::u32, .max_size = 1 << 20};
  // The echoes queue up while the client writes without reading: at its half-close megabytes
  // are still queued in the server.
  opts.send_queue_limit = 64 * 1024 * 1024;
  auto l = net::start_listener<frame_echo>(node, opts).value();
  std::string sent;
  for (int i = 0; sent.size() < 24 * 1024 * 1024; ++i)
    sent += u32_frame(
      std::string(4000 + static_cast<std::size_t>(i % 97), static_cast<char>('a' + i % 26)));
  auto c = client::tcp(l.port());
  REQUIRE(c);
  REQUIRE(c.send(sent));
  ::shutdown(c.fd(), SHUT_WR);
  auto back = c.read_to_eof(60s);
  CHECK(back.size() == sent.size());
  bool same_bytes = back == sent;  // (not printed: 24 MB)
  CHECK(same_bytes);
  net::stop_listener(l).value();
}

namespace {

// Far more than the kernel takes at once, so most of it is still queued at close: a socket's
// send buffer grows to net.ipv4.tcp_wmem's maximum (4 MiB by default), and the client's
// receive buffer holds the initial window (it grows only as the client reads, and it does not
// read before the close).
constexpr std::size_t bulk_block = 64 * 1024;
constexpr std::size_t bulk_blocks = 256;  // 16 MiB
constexpr std::size_t bulk_bytes = bulk_block * bulk_blocks;

otp::net::listener_options bulk_options() {
  auto opts = loopback();
  opts.send_queue_limit = 2 * bulk_bytes;
  return opts;
}

struct bulk_reply_then_close {
  net::socket sock;
  net::close_mode mode;
  bulk_reply_then_close(net::socket s, net::close_mode m) : sock(std::move(s)), mode(m) {
    sock.set_active(net::active::once);
  }
  otp::cast_result handle_info(const net::data&) {
    for (std::size_t i = 0; i < bulk_blocks; ++i)
      if (!sock.send(std::string(bulk_block, static_cast<char>('A' + i % 26))))
        throw std::runtime_error("send failed");
    if (sock.queued() == 0)
      throw std::runtime_error("nothing queued: the test proves nothing");
    sock.close(mode);
    return otp::stop(otp::exit_reason::normal());
  }
};

}  // namespace

TEST_CASE("lossless: a handler that sends, closes and stops: its queued bytes still arrive") {
  otp::node node{threaded()};
  auto l = net::start_listener<bulk_reply_then_close>(node, bulk_options(), net::close_mode::flush)
             .value();
  auto c = client::tcp(l.port());
  REQUIRE(c.send("go"));
  std::this_thread::sleep_for(200ms);  // let the handler queue and close before we read
  auto got = c.read_to_eof(30s);
  CHECK(got.size() == bulk_bytes);
  CHECK(got.substr(0, 3) == "AAA");
  CHECK(got.substr(got.size() - 3) == "VVV");  // the 256th block: 'A' + 255 % 26
  net::stop_listener(l).value();
}

TEST_CASE("lossless: close(discard) drops what is queued") {
  otp::node node{threaded()};
  auto l =
    net::start_listener<bulk_reply_then_close>(node, bulk_options(), net::close_mode::discard)
      .value();
  auto c = client::tcp(l.port());
  REQUIRE(c.send("go"));
  std::this_thread::sleep_for(200ms);
  auto got = c.read_to_eof(30s);
  CHECK(got.size() < bulk_bytes);
  net::stop_listener(l).value();
}

TEST_CASE("lossless: a peer that reads nothing holds a closed socket only for linger") {
  otp::node node{threaded()};
  auto opts = bulk_options();
  opts.linger = 300ms;
  auto l = net::start_listener<bulk_reply_then_close>(node, opts, net::close_mode::flush).value();
  auto base = test_net::open_fds();
  auto c = client::tcp(l.port());
  REQUIRE(c.send("go"));
  // The handler is gone at once; its socket lingers, then is closed at the deadline although
  // the client never read.
  CHECK(eventually([&] { return test_net::info(l).connections == 0; }));
  CHECK(eventually([&] { return test_net::open_fds() <= base + 1; }, 5s));  // the client's own
  CHECK(c.closed_by_peer(5s));
  net::stop_listener(l).value();
}

namespace {

/// Replies with 32 MiB, far more than the socket buffers take, then closes (flush) and stops.
struct big_reply_then_close {
  net::socket sock;
  explicit big_reply_then_close(net::socket s) : sock(std::move(s)) {
    sock.set_active(net::active::once);
  }
  otp::cast_result handle_info(const net::data&) {
    for (int i = 0; i < 32; ++i)
      if (!sock.send(std::string(1024 * 1024, static_cast<char>('a' + i % 26))))
        throw std::runtime_error("send failed");
    sock.close();
    return otp::stop(otp::exit_reason::normal());
  }
};

}  // namespace

TEST_CASE("lossless: a lingering socket whose peer reads slowly never blocks its I/O thread") {
  // One I/O thread. A's handler closes with most of 32 MiB queued; A then reads a little and
  // stalls, so the lingering write can go on only in part. Meanwhile B, on the same thread,
  // must be accepted and served in full: the lingering write waits without blocking.
  otp::node node{threaded()};
  auto opts = loopback();
  opts.io_threads = 1;
  opts.send_queue_limit = 64 * 1024 * 1024;
  auto l = net::start_listener<big_reply_then_close>(node, opts).value();
  auto a = client::tcp(l.port());
  REQUIRE(a.send("go"));
  std::this_thread::sleep_for(200ms);  // A's handler queues, closes and stops
  CHECK(a.read_to_eof(10s, 1024 * 1024).size() == 1024 * 1024);
  std::this_thread::sleep_for(100ms);  // the lingering write resumes, then fills the buffers
  auto b = client::tcp(l.port());
  REQUIRE(b.send("go"));
  CHECK(b.read_to_eof(10s).size() == 32 * 1024 * 1024);
  CHECK(a.read_to_eof(10s).size() == 31 * 1024 * 1024);  // the rest of A's, all of it
  net::stop_listener(l).value();
}

namespace {

/// Sends a large reply, then says when the queue has emptied.
struct pacer {
  net::socket sock;
  explicit pacer(net::socket s) : sock(std::move(s)) { sock.set_active(net::active::once); }
  void handle_info(const net::data&) {
    (void)sock.send(std::string(16 * 1024 * 1024, 'x'));
    if (sock.queued() == 0)
      (void)sock.send("|nothing queued|");
  }
  void handle_info(const net::send_queue_empty& e) {
    (void)sock.send(e.socket == sock.id() && sock.queued() == 0 ? "|empty|" : "|wrong|");
  }
};

}  // namespace

TEST_CASE("lossless: send_queue_empty tells the handler its queued bytes are all written") {
  otp::node node{threaded()};
  auto opts = loopback();
  opts.send_queue_limit = 32 * 1024 * 1024;
  auto l = net::start_listener<pacer>(node, opts).value();
  auto c = client::tcp(l.port());
  REQUIRE(c.send("go"));
  auto body = c.recv(16 * 1024 * 1024, 30s);
  REQUIRE(body);
  CHECK(c.recv(7, 10s).value_or("") == "|empty|");
  net::stop_listener(l).value();
}

TEST_CASE("no descriptor of the socket server leaks into a child process") {
  otp::node node{threaded()};
  auto l = net::start_listener<frame_echo>(node, loopback()).value();
  auto path = fmt::format("/tmp/caf-otp-cloexec-{}.sock", ::getpid());
  auto local = net::start_listener<frame_echo>(
                 node, net::listener_options{.address = net::endpoint::local(path)})
                 .value();
  auto c1 = client::tcp(l.port());
  auto c2 = client::local(path);
  REQUIRE(c1.send(u32_frame("x")));
  REQUIRE(c2.send(u32_frame("y")));
  REQUIRE(c1.recv(5));
  REQUIRE(c2.recv(5));
  auto inherited = test_util::inherited_descriptors();
  INFO(fmt::format("{}", fmt::join(inherited, ", ")));
  CHECK(std::none_of(inherited.begin(), inherited.end(),
                     [](const std::string& t) { return t.starts_with("socket:"); }));
  net::stop_listener(l).value();
  net::stop_listener(local).value();
}
