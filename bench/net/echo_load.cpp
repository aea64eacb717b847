// Load generator for the echo servers: one thread, one epoll set, loopback only.
//
//   echo_load --port P --mode rate|echo|idle [--host 127.0.0.1] [--conns N] [--duration S=3]
//             [--warmup S=0.5] [--timeout S=5] [--hold S=600]
//
// Every message is 64 bytes and every connection has at most one in flight.
//   rate  N (=50) loops of connect, one echo, close; prints rate_conn_per_s.
//   echo  N (=100) persistent connections; prints echo<N>_rt_per_s, echo<N>_p50_us, _p99_us.
//   Both also print the count over the whole run, warm-up included (rate_total_conns,
//   echo<N>_total_rt), so a runner can divide the server's CPU time by it.
//   idle  N (=10000) connections, one echo each, then prints "READY" and holds them until a
//         line on stdin, SIGTERM/SIGINT/SIGHUP or --hold seconds; prints idle<N>_setup_ms.
// Results are "RESULT <name> <value> <unit>" lines, like bench/erlang/run.sh. If the server
// makes no progress for --timeout seconds, or refuses or closes a connection, echo_load prints
// why on stderr and exits with status 1.
#include "cli.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;
using time_point = clock_type::time_point;
using seconds = std::chrono::duration<double>;

constexpr std::size_t message_size = 64;
// Connections being set up (connecting or waiting for their first echo) at once. The kernel
// completes a handshake before the server accepts, so counting only connects would let the
// accept queue overflow and turn dropped SYNs into 1 s retransmit stalls.
constexpr std::size_t max_in_setup = 128;

[[noreturn]] void fail(const char* format, ...) __attribute__((format(printf, 1, 2)));

void fail(const char* format, ...) {
  std::fputs("echo_load: error: ", stderr);
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
  std::fputc('\n', stderr);
  std::exit(1);
}

void result(const std::string& name, double value, const char* unit) {
  std::printf("RESULT %s %.1f %s\n", name.c_str(), value, unit);
  std::fflush(stdout);
}

// --- options ----------------------------------------------------------------------------------

struct options {
  std::string host = "127.0.0.1";
  int port = 0;
  std::string mode;
  std::size_t conns = 0;  // 0: the mode's default
  double duration = 3.0;
  double warmup = 0.5;
  double timeout = 5.0;
  double hold = 600.0;
};

double parse_number(std::string_view name, const char* text, double min, double max) {
  auto value = bench_cli::parse_number<double>(text, min, max);
  if (!value)
    fail("bad value for %.*s: '%s'", static_cast<int>(name.size()), name.data(), text);
  return *value;
}

int parse_port(const char* text) {
  auto port = bench_cli::parse_port(text, bench_cli::port_zero::refused);
  if (!port)
    fail("bad value for --port: '%s' (1 to 65535)", text);
  return *port;
}

options parse_options(int argc, char** argv) {
  options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string_view name = argv[i];
    const char* value = argv[i + 1];
    if (name == "--host")
      o.host = value;
    else if (name == "--port")
      o.port = parse_port(value);
    else if (name == "--mode")
      o.mode = value;
    else if (name == "--conns")
      o.conns = static_cast<std::size_t>(parse_number(name, value, 1, 1e6));
    else if (name == "--duration")
      o.duration = parse_number(name, value, 0.01, 3600);
    else if (name == "--warmup")
      o.warmup = parse_number(name, value, 0, 3600);
    else if (name == "--timeout")
      o.timeout = parse_number(name, value, 0.1, 3600);
    else if (name == "--hold")
      o.hold = parse_number(name, value, 0, 86400);
    else
      fail("unknown option %s", argv[i]);
  }
  if (argc % 2 == 0)
    fail("missing value for %s", argv[argc - 1]);
  if (o.port == 0 || (o.mode != "rate" && o.mode != "echo" && o.mode != "idle"))
    fail(
      "usage: echo_load --port P --mode rate|echo|idle [--host H] [--conns N] "
      "[--duration S] [--warmup S] [--timeout S] [--hold S]");
  return o;
}

// A load generator must not be pointed at other machines by accident.
sockaddr_in loopback_address(const options& o) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(o.port));
  if (inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr) != 1)
    fail("--host must be an IPv4 address, got '%s'", o.host.c_str());
  if ((ntohl(addr.sin_addr.s_addr) >> 24) != 127)
    fail("--host must be a loopback address (127.0.0.0/8), got '%s'", o.host.c_str());
  return addr;
}

// Each connection is one fd; the hard limit here is 20000, the soft one may be lower.
void raise_fd_limit(std::size_t needed) {
  rlimit lim{};
  getrlimit(RLIMIT_NOFILE, &lim);
  lim.rlim_cur = lim.rlim_max;
  setrlimit(RLIMIT_NOFILE, &lim);
  if (lim.rlim_cur != RLIM_INFINITY && needed > lim.rlim_cur)
    fail("%zu connections need more than the open-files limit of %llu", needed,
         static_cast<unsigned long long>(lim.rlim_cur));
}

// --- client -----------------------------------------------------------------------------------

// A fixed set of connection slots driven by one epoll set. The modes react to the callbacks
// and decide when a slot sends again, closes or reconnects.
class client {
 public:
  std::function<void(std::size_t slot)> on_connected;
  std::function<void(std::size_t slot, clock_type::duration rtt)> on_echo;

  client(sockaddr_in addr, std::size_t slots, double timeout)
    : addr_(addr), conns_(slots), timeout_(timeout) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0)
      fail("epoll_create1: %s", std::strerror(errno));
  }

  // Closes what is left with RST: the client end would otherwise keep one TIME_WAIT socket
  // per connection for 60 s, and with tens of thousands of those connect()'s search for a
  // free port becomes slow enough to stall the next run. Only rate mode measures closes.
  ~client() {
    linger abort{1, 0};
    for (conn& c : conns_)
      if (c.fd >= 0)
        setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
    for (std::size_t i = 0; i < conns_.size(); ++i)
      close(i);
    ::close(epoll_);
  }

  client(const client&) = delete;
  client& operator=(const client&) = delete;

  std::size_t open_count() const { return open_; }
  std::size_t in_setup_count() const { return in_setup_; }

  void open(std::size_t slot);
  void close(std::size_t slot);
  void send(std::size_t slot);
  void run(const std::function<bool()>& keep_going);

 private:
  struct conn {
    int fd = -1;
    bool connecting = false;
    bool in_setup = false;  // opened, first echo not yet back
    std::size_t received = 0;
    time_point sent_at;
  };

  void watch(std::size_t slot, int op, std::uint32_t events);
  void handle(std::size_t slot, std::uint32_t events);
  void finish_connect(std::size_t slot);
  void read_reply(std::size_t slot);
  [[noreturn]] void fail_stalled() const;

  sockaddr_in addr_;
  std::vector<conn> conns_;
  double timeout_;
  int epoll_ = -1;
  std::size_t open_ = 0;
  std::size_t connecting_ = 0;
  std::size_t waiting_ = 0;  // connecting or waiting for an echo: what a stall leaves behind
  std::size_t in_setup_ = 0;
};

void client::watch(std::size_t slot, int op, std::uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = slot;
  if (epoll_ctl(epoll_, op, conns_[slot].fd, &ev) != 0)
    fail("epoll_ctl: %s", std::strerror(errno));
}

void client::open(std::size_t slot) {
  conn& c = conns_[slot];
  c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c.fd < 0)
    fail("socket: %s (with %zu connections open)", std::strerror(errno), open_);
  int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ++open_;
  c.in_setup = true;
  ++in_setup_;
  if (connect(c.fd, reinterpret_cast<const sockaddr*>(&addr_), sizeof addr_) == 0) {
    watch(slot, EPOLL_CTL_ADD, EPOLLIN);
    on_connected(slot);
    return;
  }
  if (errno != EINPROGRESS)
    fail("connect: %s", std::strerror(errno));
  c.connecting = true;
  ++connecting_;
  ++waiting_;
  watch(slot, EPOLL_CTL_ADD, EPOLLOUT);
}

void client::close(std::size_t slot) {
  conn& c = conns_[slot];
  if (c.fd < 0)
    return;
  ::close(c.fd);  // also removes it from the epoll set
  c.fd = -1;
  --open_;
  if (c.in_setup) {
    c.in_setup = false;
    --in_setup_;
  }
}

void client::send(std::size_t slot) {
  static const std::array<char, message_size> message = [] {
    std::array<char, message_size> m{};
    m.fill('x');
    return m;
  }();
  conn& c = conns_[slot];
  c.received = 0;
  c.sent_at = clock_type::now();
  // With one message in flight the socket buffer is empty, so a short write means trouble.
  ssize_t n = ::send(c.fd, message.data(), message.size(), MSG_NOSIGNAL);
  if (n != static_cast<ssize_t>(message.size()))
    fail("send: %s", n < 0 ? std::strerror(errno) : "short write");
  ++waiting_;
}

void client::finish_connect(std::size_t slot) {
  conn& c = conns_[slot];
  int err = 0;
  socklen_t len = sizeof err;
  getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0)
    fail("connect: %s", std::strerror(err));
  c.connecting = false;
  --connecting_;
  --waiting_;
  watch(slot, EPOLL_CTL_MOD, EPOLLIN);
  on_connected(slot);
}

void client::read_reply(std::size_t slot) {
  conn& c = conns_[slot];
  std::array<char, message_size> buf;
  ssize_t n = ::recv(c.fd, buf.data(), message_size - c.received, 0);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return;
  if (n < 0)
    fail("recv: %s", std::strerror(errno));
  if (n == 0)
    fail("the server closed a connection");
  c.received += static_cast<std::size_t>(n);
  if (c.received < message_size)
    return;
  --waiting_;
  if (c.in_setup) {
    c.in_setup = false;
    --in_setup_;
  }
  on_echo(slot, clock_type::now() - c.sent_at);
}

void client::handle(std::size_t slot, std::uint32_t events) {
  if (conns_[slot].connecting)
    finish_connect(slot);
  else if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
    read_reply(slot);
}

void client::fail_stalled() const {
  fail(
    "the server made no progress for %.1f s (%zu connections connecting, %zu waiting "
    "for an echo)",
    timeout_, connecting_, waiting_ - connecting_);
}

// Handles events while keep_going() says so. The short epoll timeout lets keep_going() act on
// the clock even when nothing happens.
void client::run(const std::function<bool()>& keep_going) {
  std::array<epoll_event, 256> events;
  time_point last_progress = clock_type::now();
  while (keep_going()) {
    int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), 20);
    if (n < 0 && errno != EINTR)
      fail("epoll_wait: %s", std::strerror(errno));
    time_point now = clock_type::now();
    if (n > 0)
      last_progress = now;
    else if (waiting_ > 0 && seconds(now - last_progress).count() > timeout_)
      fail_stalled();
    for (int i = 0; i < n; ++i)
      handle(events[static_cast<std::size_t>(i)].data.u64,
             events[static_cast<std::size_t>(i)].events);
  }
}

// --- modes ------------------------------------------------------------------------------------

// The measured window [begin, end) of a run: warm-up first, then the duration.
struct window {
  time_point begin = time_point::max();
  time_point end = time_point::max();

  void start(const options& o, time_point now) {
    begin = now + std::chrono::duration_cast<clock_type::duration>(seconds(o.warmup));
    end = begin + std::chrono::duration_cast<clock_type::duration>(seconds(o.duration));
  }
  bool contains(time_point t) const { return t >= begin && t < end; }
};

void run_rate(const options& o, sockaddr_in addr) {
  std::size_t loops = o.conns ? o.conns : 50;
  raise_fd_limit(loops + 16);
  client c(addr, loops, o.timeout);
  window w;
  w.start(o, clock_type::now());
  std::size_t completed = 0;
  std::size_t total = 0;  // warm-up included: divides the server's CPU time for the whole run
  c.on_connected = [&](std::size_t slot) { c.send(slot); };
  c.on_echo = [&](std::size_t slot, clock_type::duration) {
    c.close(slot);
    time_point now = clock_type::now();
    ++total;
    completed += w.contains(now) ? 1 : 0;
    if (now < w.end)
      c.open(slot);
  };
  for (std::size_t i = 0; i < loops; ++i)
    c.open(i);
  c.run([&] { return c.open_count() > 0; });
  result("rate_conn_per_s", static_cast<double>(completed) / o.duration, "conn/s");
  result("rate_total_conns", static_cast<double>(total), "conns");
}

double percentile_us(std::vector<clock_type::duration>& sorted, double p) {
  auto rank = static_cast<std::size_t>(p / 100.0 * static_cast<double>(sorted.size()));
  auto us = std::chrono::duration<double, std::micro>(sorted[std::min(rank, sorted.size() - 1)]);
  return us.count();
}

// Opens slots [0, count), at most max_in_setup of them in setup at a time.
class opener {
 public:
  opener(client& c, std::size_t count) : c_(c), count_(count) {}
  void step() {
    while (next_ < count_ && c_.in_setup_count() < max_in_setup)
      c_.open(next_++);
  }

 private:
  client& c_;
  std::size_t count_;
  std::size_t next_ = 0;
};

void run_echo(const options& o, sockaddr_in addr) {
  std::size_t n = o.conns ? o.conns : 100;
  raise_fd_limit(n + 16);
  client c(addr, n, o.timeout);
  opener open(c, n);
  window w;  // starts when the last connection is up
  std::size_t connected = 0;
  std::size_t stopped = 0;
  std::vector<clock_type::duration> rtts;
  rtts.reserve(1 << 20);
  c.on_connected = [&](std::size_t slot) {
    if (++connected == n)
      w.start(o, clock_type::now());
    c.send(slot);
  };
  std::size_t total = 0;  // as in run_rate
  c.on_echo = [&](std::size_t slot, clock_type::duration rtt) {
    time_point now = clock_type::now();
    ++total;
    if (w.contains(now))
      rtts.push_back(rtt);
    if (now < w.end)
      c.send(slot);
    else
      ++stopped;
  };
  c.run([&] {
    open.step();
    return stopped < n;
  });
  if (rtts.empty())
    fail("no round trip completed in the measured window");
  std::sort(rtts.begin(), rtts.end());
  std::string name = "echo" + std::to_string(n);
  result(name + "_rt_per_s", static_cast<double>(rtts.size()) / o.duration, "rt/s");
  result(name + "_p50_us", percentile_us(rtts, 50), "us");
  result(name + "_p99_us", percentile_us(rtts, 99), "us");
  result(name + "_total_rt", static_cast<double>(total), "rt");
}

// Returns once a line arrives on stdin, a termination signal arrives, or after `limit` seconds.
// EOF on stdin is not a release: background jobs often get /dev/null as stdin.
void hold(double limit) {
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP})
    sigaddset(&signals, s);
  sigprocmask(SIG_BLOCK, &signals, nullptr);
  int sfd = signalfd(-1, &signals, SFD_CLOEXEC);
  std::array<pollfd, 2> fds{{{STDIN_FILENO, POLLIN, 0}, {sfd, POLLIN, 0}}};
  auto deadline =
    clock_type::now() + std::chrono::duration_cast<clock_type::duration>(seconds(limit));
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock_type::now());
    if (left.count() <= 0) {
      std::fprintf(stderr, "echo_load: hold time of %.0f s is over, closing\n", limit);
      break;
    }
    int n = poll(fds.data(), fds.size(), static_cast<int>(std::min<long long>(left.count(), 1000)));
    if (n < 0 && errno != EINTR)
      fail("poll: %s", std::strerror(errno));
    if (fds[1].revents != 0)
      break;
    if (fds[0].revents != 0) {
      char buf[256];
      ssize_t got = read(STDIN_FILENO, buf, sizeof buf);
      if (got > 0 && std::memchr(buf, '\n', static_cast<std::size_t>(got)))
        break;
      if (got <= 0)
        fds[0].fd = -1;  // EOF or error: stop watching stdin
    }
  }
  ::close(sfd);
}

void run_idle(const options& o, sockaddr_in addr) {
  std::size_t n = o.conns ? o.conns : 10000;
  raise_fd_limit(n + 16);
  client c(addr, n, o.timeout);
  opener open(c, n);
  std::size_t echoed = 0;
  c.on_connected = [&](std::size_t slot) { c.send(slot); };
  c.on_echo = [&](std::size_t, clock_type::duration) { ++echoed; };
  time_point start = clock_type::now();
  c.run([&] {
    open.step();
    return echoed < n;
  });
  auto setup = std::chrono::duration<double, std::milli>(clock_type::now() - start);
  result("idle" + std::to_string(n) + "_setup_ms", setup.count(), "ms");
  std::puts("READY");
  std::fflush(stdout);
  hold(o.hold);
}

}  // namespace

int main(int argc, char** argv) {
  options o = parse_options(argc, argv);
  sockaddr_in addr = loopback_address(o);
  if (o.mode == "rate")
    run_rate(o, addr);
  else if (o.mode == "echo")
    run_echo(o, addr);
  else
    run_idle(o, addr);
  return 0;
}
