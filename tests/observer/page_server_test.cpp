// Ensure that the observer serves its page from the library (without the token, which the
// page then sends itself), streams the trees as server-sent events (again after a restart),
// draws one tree per root, and acts on processes (kill, suspend, resume) only when actions
// are on, and only for requests of its own origin.

#include "eventually.hpp"
#include "http_client.hpp"
#include "servers.hpp"

#include <otp/observer.hpp>
#include <otp/process.hpp>
#include <otp/receive.hpp>
#include <otp/spawn.hpp>
#include <otp/supervision_tree.hpp>
#include <otp/supervisor.hpp>
#include <otp/sys.hpp>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <chrono>
#include <functional>

using namespace observer_test;
namespace observer = otp::observer;

namespace {

struct never {};

otp::sup_ref start_app(otp::node& node) {
  node.logger().set_sink([](const otp::log_event&) {});  // the kills' crash reports
  auto store = otp::supervisor::start_with({.strategy = otp::strategy::one_for_all},
                                           {{.id = "cache", .start = otp::start_with<pinger>()}});
  return otp::supervisor::start_link(
           node, otp::start_options{.name = "app"}, {.intensity = 10},
           {{.id = "store", .start = store, .type = otp::child_type::supervisor}})
    .value();
}

otp::pid cache_of(const otp::sup_ref& app) {
  return otp::supervision_tree(app, "app").value().children.at(0).children.at(0).pid;
}

std::string post(std::uint16_t port, std::string_view target, std::string_view extra = {}) {
  return fmt::format("POST {} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\n{}\r\n",
                     target, port, extra);
}

std::string pid_path(const otp::pid& p, std::string_view action) {
  return fmt::format("/api/process/{}/{}", p.id(), action);
}

/// An open GET /api/events: reads until `done` holds for what arrived so far, or 5 s passed.
class event_reader {
 public:
  explicit event_reader(std::uint16_t port) : fd_(::socket(AF_INET, SOCK_STREAM, 0)) {
    timeval tv{0, 100'000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    auto req = fmt::format("GET /api/events HTTP/1.1\r\nHost: 127.0.0.1:{}\r\n\r\n", port);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0)
      ::send(fd_, req.data(), req.size(), MSG_NOSIGNAL);
  }
  ~event_reader() { ::close(fd_); }
  event_reader(const event_reader&) = delete;
  event_reader& operator=(const event_reader&) = delete;

  bool read_until(const std::function<bool(const std::string&)>& done) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{5};
    char buf[4096];
    while (!done(got) && std::chrono::steady_clock::now() < deadline)
      if (auto n = ::recv(fd_, buf, sizeof buf, 0); n > 0)
        got.append(buf, static_cast<std::size_t>(n));
      else if (n == 0)
        break;
    return done(got);
  }

  std::string got;

 private:
  int fd_;
};

bool has(const std::string& text, std::string_view what) {
  return text.find(what) != std::string::npos;
}

}  // namespace

TEST_CASE("the page and its files come from the library, without the token") {
  otp::node node{{.threads = 1}};
  auto obs = observer::start(node, {.token = "s3cret"}).value();
  auto page = get(obs.port(), "/");
  REQUIRE(page.status == 200);
  CHECK(has(page.head, "Content-Type: text/html"));
  CHECK(has(page.head, "Content-Security-Policy: default-src 'self'"));
  CHECK(has(page.body, "<script src=\"observer.js\">"));
  auto script = get(obs.port(), "/observer.js");
  CHECK(script.status == 200);
  CHECK(has(script.head, "Content-Type: text/javascript"));
  CHECK(has(script.body, "new EventSource"));
  CHECK(get(obs.port(), "/observer.css").status == 200);
  // The data is not: the page sends the token it was opened with.
  CHECK(get(obs.port(), "/api/events").status == 403);
  CHECK(get(obs.port(), "/api/trees").status == 403);
  CHECK(get(obs.port(), "/", "Origin: http://evil.example\r\n").status == 403);
}

TEST_CASE("/api/events sends the trees at once, and again when a child restarts") {
  otp::node node{{.threads = 2}};
  auto app = start_app(node);
  auto cache = cache_of(app);
  auto obs = observer::start(node).value();
  event_reader events{obs.port()};
  auto first = fmt::format("\"pid\": \"{}\"", cache);
  REQUIRE(events.read_until(
    [&](const std::string& s) { return has(s, first) && has(s, "event: node"); }));
  CHECK(events.got.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(has(events.got, "Content-Type: text/event-stream"));
  CHECK(has(events.got, "event: trees\ndata: ["));
  CHECK(has(events.got, "event: node\ndata: {\"processes\": 3"));
  otp::exit(cache, otp::exit_reason::kill());
  REQUIRE(test_util::eventually([&] { return cache_of(app) != cache; }));
  auto fresh = fmt::format("\"pid\": \"{}\"", cache_of(app));
  CHECK(events.read_until([&](const std::string& s) { return has(s, fresh); }));
  CHECK(has(events.got, "\"restarts\": 1"));
  obs.stop();  // with a stream open
}

TEST_CASE("/api/events shows a tree that starts later, and drops one that stops") {
  otp::node node{{.threads = 2}};
  auto app = start_app(node);
  auto obs = observer::start(node).value();
  event_reader events{obs.port()};
  REQUIRE(events.read_until([&](const std::string& s) { return has(s, "\"id\": \"app\""); }));
  // Found by the walk for new roots, within its 2 s period.
  auto later = otp::supervisor::start_link(node, otp::start_options{.name = "later"}, {},
                                           {{.id = "w", .start = otp::start_with<pinger>()}})
                 .value();
  CHECK(events.read_until([&](const std::string& s) { return has(s, "\"id\": \"later\""); }));
  otp::gen_server::stop(app).value();
  // The last trees event names `later` but not `app`.
  auto last_trees = [](const std::string& s) { return s.substr(s.rfind("event: trees")); };
  CHECK(events.read_until([&](const std::string& s) {
    return s.find("event: trees") != std::string::npos && !has(last_trees(s), "\"app\"")
           && has(last_trees(s), "\"later\"");
  }));
  otp::gen_server::stop(later).value();
}

TEST_CASE("/api/trees draws one tree per root, its subtrees inside it") {
  otp::node node{{.threads = 1}};
  auto app = start_app(node);
  auto obs = observer::start(node).value();
  auto trees = get(obs.port(), "/api/trees");
  REQUIRE(trees.status == 200);
  CHECK(trees.body.starts_with("[\n{\"id\": \"app\""));
  CHECK_FALSE(has(trees.body, "\n{\"id\": \"<0."));  // no subtree drawn as a root of its own
}

TEST_CASE("actions kill, suspend and resume a process when they are on") {
  otp::node node{{.threads = 2}};
  auto app = start_app(node);
  auto cache = cache_of(app);
  auto server = otp::gen_server::start<pinger>(node).value();
  auto plain = otp::spawn(node, [] { otp::receive([](const never&) {}); });
  auto obs = observer::start(node, {.actions = true}).value();
  auto port = obs.port();
  auto killed = send_raw(port, post(port, pid_path(cache, "kill")));
  CHECK(killed.status == 200);
  CHECK(has(killed.body, fmt::format("\"pid\": \"{}\"", cache)));
  auto reason = otp::await_exit(cache, std::chrono::seconds{5});
  REQUIRE(reason);
  CHECK(*reason == otp::exit_reason::killed());
  CHECK(test_util::eventually([&] { return cache_of(app) != cache; }));
  CHECK(send_raw(port, post(port, pid_path(cache, "kill"))).status == 404);  // gone

  auto suspended = send_raw(port, post(port, pid_path(server, "suspend")));
  CHECK(suspended.status == 200);
  CHECK(has(suspended.body, "\"action\": \"suspend\""));
  CHECK(otp::sys::get_status(server).value().suspended);
  CHECK(send_raw(port, post(port, pid_path(server, "resume"))).status == 200);
  CHECK_FALSE(otp::sys::get_status(server).value().suspended);
  CHECK(otp::gen_server::call(server, ping{}) == 1);

  // A plain process answers no sys messages: the action fails, and says so.
  auto refused = send_raw(port, post(port, pid_path(plain, "suspend")));
  CHECK(refused.status == 409);
  CHECK(has(refused.body, "suspend failed"));
  CHECK(send_raw(port, post(port, pid_path(server, "explode"))).status == 404);
  CHECK(send_raw(port, post(port, "/api/process/zz/kill")).status == 400);
  CHECK(send_raw(port, post(port, "/api/trees")).status == 405);
  CHECK(get(port, pid_path(server, "kill")).status == 405);
  // Another site's page cannot post to it (no CSRF), nor can a foreign Host (DNS rebinding).
  CHECK(
    send_raw(port, post(port, pid_path(server, "kill"), "Origin: http://evil.example\r\n")).status
    == 403);
  CHECK(otp::gen_server::call(server, ping{}) == 2);  // still there
  otp::exit(plain, otp::exit_reason::kill());
}

TEST_CASE("actions are refused while off, with the reason") {
  otp::node node{{.threads = 1}};
  auto server = otp::gen_server::start<pinger>(node).value();
  auto obs = observer::start(node).value();
  auto port = obs.port();
  auto refused = send_raw(port, post(port, pid_path(server, "kill")));
  CHECK(refused.status == 403);
  CHECK(has(refused.body, "actions are off"));
  CHECK(send_raw(port, post(port, pid_path(server, "suspend"))).status == 403);
  CHECK(otp::gen_server::call(server, ping{}) == 1);
}
