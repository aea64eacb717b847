#include "otp/observer/observer.hpp"

#include "observer/event_stream.hpp"
#include "observer/routes.hpp"

#include <fmt/format.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <deque>
#include <thread>

namespace otp::observer {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto io_timeout = std::chrono::seconds{10};
constexpr std::uint32_t request_limit = 8 * 1024;
/// Events queued for a listener that does not read: past this, it is dropped (its page
/// reconnects and starts from the current state).
constexpr std::size_t stream_backlog = 64;

constexpr std::string_view stream_head =
  "HTTP/1.1 200 OK\r\nServer: caf-otp observer\r\nContent-Type: text/event-stream\r\n"
  "Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n"
  "retry: 1000\n\n";

/// One HTTP/1.1 connection: read a request, answer it, again while the client keeps it alive;
/// or, for /api/events, a stream of events until either side closes. Every step runs on the
/// observer's I/O thread; a malformed request gets 400 and a close.
class session : public std::enable_shared_from_this<session>, public detail::event_sink {
 public:
  session(tcp::socket socket, const detail::route_context& ctx, detail::event_hub& hub)
    : stream_(std::move(socket)), hub_(hub), ctx_(ctx) {}

  bool push(std::shared_ptr<const std::string> event) override {
    if (closed_)
      return false;
    if (outbox_.size() >= stream_backlog) {
      close();
      return false;
    }
    outbox_.push_back(std::move(event));
    if (outbox_.size() == 1)
      write_next();
    return true;
  }

  void read() {
    parser_.emplace();
    parser_->header_limit(request_limit);
    parser_->body_limit(request_limit);
    stream_.expires_after(io_timeout);
    http::async_read(
      stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

 private:
  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout
        || ec == asio::error::operation_aborted)
      return close();
    if (ec && ec.category() == http::make_error_code(http::error::bad_method).category())
      return reply({400, "application/json", "{\"error\": \"malformed request\"}\n"}, false);
    if (ec)
      return close();
    auto& req = parser_->get();
    detail::request_view view{req.method_string(),
                              req.target(),
                              req[http::field::host],
                              req[http::field::origin],
                              req[http::field::authorization],
                              req["Sec-Fetch-Site"]};
    auto answer = detail::answer(ctx_, view);
    if (answer.event_stream && req.method() == http::verb::get)
      return start_stream();
    reply(std::move(answer), req.keep_alive(), req.method() == http::verb::head);
  }

  /// The head of an endless response (no length: it ends when the connection does), then
  /// the hub's events as they come.
  void start_stream() {
    stream_.expires_never();
    push(std::make_shared<const std::string>(stream_head));
    hub_.subscribe(shared_from_this());
  }

  void write_next() {
    asio::async_write(stream_, asio::buffer(*outbox_.front()),
                      [self = shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec)
                          return self->close();
                        self->outbox_.pop_front();
                        if (!self->outbox_.empty())
                          self->write_next();
                      });
  }

  void reply(detail::response r, bool keep_alive, bool head = false) {
    auto res = std::make_shared<http::response<http::string_body>>(http::status{r.status}, 11);
    res->set(http::field::server, "caf-otp observer");
    res->set(http::field::content_type, r.content_type);
    res->set(http::field::cache_control, "no-store");
    res->set("X-Content-Type-Options", "nosniff");
    // The page runs only its own files, and no other site may frame it.
    res->set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'");
    res->keep_alive(keep_alive);
    res->body() = std::move(r.body);
    res->prepare_payload();
    if (head)
      res->body().clear();
    stream_.expires_after(io_timeout);
    http::async_write(
      stream_, *res,
      [self = shared_from_this(), res, keep_alive](beast::error_code ec, std::size_t) {
        if (ec || !keep_alive)
          return self->close();
        self->read();
      });
  }

  void close() {
    closed_ = true;
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
  }

  beast::tcp_stream stream_;
  std::deque<std::shared_ptr<const std::string>> outbox_;
  bool closed_ = false;
  detail::event_hub& hub_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const detail::route_context& ctx_;
};

}  // namespace

struct server::impl {
  impl(node& n, observer_options o)
    : opts(std::move(o)), stats(n), ctx{n, stats, load, opts, 0}, acceptor(io) {}

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted)
        return;
      if (!ec)
        std::make_shared<session>(std::move(socket), ctx, hub)->read();
      accept();
    });
  }

  observer_options opts;
  restart_stats stats;
  detail::scheduler_load load;
  detail::route_context ctx;
  asio::io_context io{1};
  tcp::acceptor acceptor;
  detail::event_hub hub{io, ctx};  // after io: its listeners go before the context does
  std::thread thread;
};

server::server(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
server::server(server&&) noexcept = default;
server& server::operator=(server&& other) noexcept {
  if (this != &other) {
    stop();
    impl_ = std::move(other.impl_);
  }
  return *this;
}
server::~server() {
  stop();
}

std::uint16_t server::port() const noexcept {
  return impl_ ? impl_->ctx.port : 0;
}

std::string server::url() const {
  if (!impl_)
    return {};
  const auto& bind = impl_->opts.bind;
  auto host = bind.find(':') != std::string::npos ? fmt::format("[{}]", bind) : bind;
  return fmt::format("http://{}:{}/", host, port());
}

void server::stop() {
  if (!impl_ || !impl_->thread.joinable())
    return;
  asio::post(impl_->io, [p = impl_.get()] {
    beast::error_code ignored;
    p->acceptor.close(ignored);
    p->hub.close();
    p->io.stop();
  });
  impl_->thread.join();
}

expected<server, start_failure> start(node& n, observer_options opts) {
  if (!detail::is_loopback(opts.bind) && opts.token.empty())
    return unexpected{start_failure{fmt::format(
      "observer: binding to {} requires an access token (observer_options::token)", opts.bind)}};
  beast::error_code ec;
  auto address = asio::ip::make_address(opts.bind == "localhost" ? "127.0.0.1" : opts.bind, ec);
  if (ec)
    return unexpected{start_failure{fmt::format("observer: bad address {}", opts.bind)}};
  auto p = std::make_unique<server::impl>(n, opts);
  tcp::endpoint endpoint{address, opts.port};
  p->acceptor.open(endpoint.protocol(), ec);
  if (!ec)
    p->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    p->acceptor.bind(endpoint, ec);
  if (!ec)
    p->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return unexpected{start_failure{fmt::format("observer: {}: {}", opts.bind, ec.message())}};
  p->ctx.port = p->acceptor.local_endpoint().port();
  p->accept();
  p->thread = std::thread{[io = &p->io] { io->run(); }};
  return server{std::move(p)};
}

}  // namespace otp::observer
