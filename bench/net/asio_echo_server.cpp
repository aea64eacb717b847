// Bare Boost.Asio echo server: the "practical limit" reference for the caf-otp socket server.
//
//   asio_echo_server [--port P=0] [--threads N=2] [--acceptors A=16]
//
// Prints "PID <pid>" and then "LISTENING <port>" on stdout once it accepts connections; runs
// until SIGINT or SIGTERM. One io_context is run by N threads. Each connection waits for
// readability with async_wait and then reads into a stack buffer, so an idle connection holds no
// buffer (the smallest RSS per connection measured in the networking notes).
#include "cli.hpp"

#include <boost/asio.hpp>

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string_view>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
using asio::ip::tcp;

struct options {
  unsigned short port = 0;
  int threads = 2;
  int acceptors = 16;
};

[[noreturn]] void usage_error(std::string_view what) {
  std::fprintf(stderr,
               "asio_echo_server: %.*s\nusage: asio_echo_server [--port P] "
               "[--threads N] [--acceptors A]\n",
               static_cast<int>(what.size()), what.data());
  std::exit(2);
}

int parse_int(std::string_view text, int min, int max) {
  auto value = bench_cli::parse_number(text, min, max);
  if (!value)
    usage_error("bad number: " + std::string(text));
  return *value;
}

unsigned short parse_port(std::string_view text) {
  auto port = bench_cli::parse_port(text, bench_cli::port_zero::any_free);
  if (!port)
    usage_error("bad port: " + std::string(text));
  return *port;
}

options parse_options(int argc, char** argv) {
  options opts;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (i + 1 >= argc)
      usage_error("missing value for " + std::string(arg));
    std::string_view value = argv[++i];
    if (arg == "--port")
      opts.port = parse_port(value);
    else if (arg == "--threads")
      opts.threads = parse_int(value, 1, 256);
    else if (arg == "--acceptors")
      opts.acceptors = parse_int(value, 1, 1024);
    else
      usage_error("unknown option " + std::string(arg));
  }
  return opts;
}

// One connection. Exactly one operation is outstanding at a time (a wait or a write), so the
// socket is never used by two threads at once and no strand is needed. Handlers hold a
// shared_ptr; the session dies (and closes its socket) when no operation is outstanding.
class session : public std::enable_shared_from_this<session> {
 public:
  explicit session(tcp::socket socket) : socket_(std::move(socket)) {}

  void start() {
    boost::system::error_code ec;
    socket_.set_option(tcp::no_delay(true), ec);
    socket_.non_blocking(true, ec);
    if (!ec)
      wait_readable();
  }

 private:
  void wait_readable() {
    socket_.async_wait(tcp::socket::wait_read,
                       [self = shared_from_this()](boost::system::error_code ec) {
                         if (!ec)
                           self->echo();
                       });
  }

  // Reads what is there and writes it back. Errors, EOF included, end the session.
  void echo() {
    std::array<char, 4096> buf;
    boost::system::error_code ec;
    std::size_t n = socket_.read_some(asio::buffer(buf), ec);
    if (ec == asio::error::would_block)
      return wait_readable();
    if (ec)
      return;
    std::size_t written = socket_.write_some(asio::buffer(buf.data(), n), ec);
    if (ec == asio::error::would_block)
      written = 0;
    else if (ec)
      return;
    if (written == n)
      return wait_readable();
    write_rest(buf.data() + written, n - written);
  }

  // The peer's receive window is full: keep the rest until it drains. Rare, so it may allocate.
  void write_rest(const char* data, std::size_t size) {
    pending_.assign(data, data + size);
    asio::async_write(socket_, asio::buffer(pending_),
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        self->pending_.clear();
                        if (!ec)
                          self->wait_readable();
                      });
  }

  tcp::socket socket_;
  std::vector<char> pending_;
};

// Keeps one async_accept outstanding per call; the notes show several slots are served FIFO.
void accept_forever(tcp::acceptor& acceptor) {
  acceptor.async_accept([&acceptor](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted)
      return;
    if (!ec)
      std::make_shared<session>(std::move(socket))->start();
    // Other errors (ECONNABORTED, EMFILE) concern one connection or are transient: keep
    // accepting rather than leave the benchmark with a dead listener.
    accept_forever(acceptor);
  });
}

tcp::acceptor open_acceptor(asio::io_context& ioc, unsigned short port) {
  tcp::acceptor acceptor(ioc);
  tcp::endpoint endpoint(asio::ip::address_v4::any(), port);
  acceptor.open(endpoint.protocol());
  acceptor.set_option(tcp::acceptor::reuse_address(true));
  acceptor.bind(endpoint);
  acceptor.listen(asio::socket_base::max_listen_connections);
  return acceptor;
}

}  // namespace

int main(int argc, char** argv) {
  options opts = parse_options(argc, argv);
  try {
    asio::io_context ioc(opts.threads);
    tcp::acceptor acceptor = open_acceptor(ioc, opts.port);
    for (int i = 0; i < opts.acceptors; ++i)
      accept_forever(acceptor);
    asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) { ioc.stop(); });

    std::printf("PID %d\nLISTENING %u\n", static_cast<int>(getpid()),
                static_cast<unsigned>(acceptor.local_endpoint().port()));
    std::fflush(stdout);

    std::vector<std::jthread> pool;
    for (int i = 1; i < opts.threads; ++i)
      pool.emplace_back([&ioc] { ioc.run(); });
    ioc.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "asio_echo_server: %s\n", e.what());
    return 1;
  }
  return 0;
}
