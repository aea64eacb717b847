// Ensure that `otp::gen_server::call` and `cast` through the pid of another node's process on
// Erlang's distribution go as Erlang's gen module puts them on the wire, between two caf-otp
// nodes (over Unix sockets): typed requests and replies convert both ways, from a process and
// from a plain thread; a reply that does not convert, or a request without a term form, is
// `badarg` with the reason; the server's exit, its node's loss and a process that is gone end
// the call at once (`exited`, `noconnection`, `noproc`); and a call, answered or timed out,
// leaves nothing behind on either node.

#include "dist_access.hpp"
#include "in_process.hpp"
#include "typed_servers.hpp"
#include "uds_nodes.hpp"

#include "otp/dist/erlang.hpp"
#include "otp/gen_server.hpp"
#include "otp/process.hpp"
#include "otp/spawn.hpp"

#include "../eventually.hpp"

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <atomic>
#include <future>

using namespace std::chrono_literals;
using otp::call_error;
using otp::term;
namespace erl = otp::dist::erlang;
using test_erl::in_process;
using test_erl::on_io_thread;

namespace {

/// Takes `bump` calls and never answers them: a call to it waits until it ends otherwise.
class holder {
 public:
  using remote_requests = otp::types<typed::bump>;
  explicit holder(std::atomic<int>* calls) : calls_(calls) {}
  otp::call_result<std::int32_t> handle_call(const typed::bump&, otp::from<std::int32_t>) {
    ++*calls_;
    return otp::noreply();
  }

 private:
  std::atomic<int>* calls_;
};

/// A request type nothing registered a term form for.
struct unregistered {
  int x = 0;
};

/// What a caller wrongly believes of the counter: its `where` answers a string. (Never run
/// here: the calls go to the counter.)
class misread {
 public:
  std::string handle_call(const typed::where&) { return {}; }
  std::int32_t handle_call(const typed::bad_bump&) { return 0; }
  std::int32_t handle_call(const unregistered&) { return 0; }
};

/// Alpha and beta over Unix sockets, connected, with a served gen_server `S` on beta.
template <class S>
struct pid_nodes {
  test_erl::node_dir dir;
  otp::node na;
  otp::node nb;
  std::unique_ptr<erl::distribution> a = test_erl::start_uds(na, dir, "alpha");
  std::unique_ptr<erl::distribution> b = test_erl::start_uds(nb, dir, "beta");
  otp::server_ref<S> server;

  template <class... Args>
  explicit pid_nodes(Args&&... args) {
    auto s = otp::gen_server::start<S>(nb, std::forward<Args>(args)...);
    REQUIRE(s);
    server = *s;
    b->serve(server);
    REQUIRE(a->connect(b->name()).has_value());
    erl::add_server_types<S>();
  }
  /// The server as alpha names it: the pid of another node's process.
  template <class As = S>
  otp::server_ref<As> remote() {
    return otp::server_ref<As>{a->process(b->pid_of(server))};
  }
  /// Alpha's calls waiting and monitors held, beta's monitors of its processes.
  std::size_t left_behind() {
    auto& ia = erl::distribution_access::of(*a);
    return ia.pending_->size() + on_io_thread(*a, [](auto& i) { return i.held_.size(); })
           + on_io_thread(*b, [](auto& i) { return i.watches_.size(); });
  }
};

bool mentions(const call_error& e, std::string_view text) {
  return e.reason().detail().find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("erlang pid call: typed calls and casts through another node's pid") {
  pid_nodes<typed::counter> n;
  auto c = n.remote();
  // From a plain thread, which blocks.
  CHECK(otp::gen_server::call(c, typed::bump{10}) == 10);
  CHECK(otp::gen_server::call(c, typed::where{}, 5s).n == 10);
  auto renamed = otp::gen_server::try_call(c, typed::rename{"n", {"a", "b"}});
  REQUIRE(renamed.has_value());
  CHECK(*renamed == "n:a,b");
  // From a process, which parks.
  auto got = in_process(n.na, [&] {
    otp::gen_server::cast(c, typed::reset{100});
    auto bumped = otp::gen_server::call(c, typed::bump{5});
    auto later = otp::gen_server::try_call(c, typed::later{}, 5s);  // a deferred reply
    return std::pair{bumped, later ? *later : -1};
  });
  CHECK(got == std::pair{105, 105});
  // Nothing of the calls stays: beta's monitors go with DEMONITOR_P, which rides with the next
  // packet to beta (this cast).
  otp::gen_server::cast(c, typed::bump{0});
  CHECK(test_util::eventually([&] { return n.left_behind() == 0; }));
}

TEST_CASE("erlang pid call: a reply or request without a term form is badarg with the reason") {
  pid_nodes<typed::counter> n;
  auto m = n.remote<misread>();
  // The counter answers {total, 0}: no string.
  auto r = otp::gen_server::try_call(m, typed::where{}, 5s);
  REQUIRE(!r.has_value());
  CHECK(r.error().what_kind() == call_error::kind::badarg);
  CHECK_MESSAGE(mentions(r.error(), "does not fit"), r.error().reason().detail());
  CHECK_MESSAGE(mentions(r.error(), "got {total,0}"), r.error().reason().detail());
  CHECK(std::string_view{r.error().what()}.find("{total,0}") != std::string_view::npos);
  // Refused before anything is sent.
  auto began = std::chrono::steady_clock::now();
  auto u = otp::gen_server::try_call(m, unregistered{1}, 5s);
  REQUIRE(!u.has_value());
  CHECK(u.error().what_kind() == call_error::kind::badarg);
  CHECK_MESSAGE(mentions(u.error(), "unregistered has no term form"), u.error().reason().detail());
  CHECK(std::chrono::steady_clock::now() - began < 1s);
  // The counter refuses a bump whose field is text ({error, badarg}): no integer.
  otp::dist::add_term_type<typed::bad_bump>();
  auto refused = otp::gen_server::try_call(m, typed::bad_bump{"ten"}, 5s);
  REQUIRE(!refused.has_value());
  CHECK(refused.error().what_kind() == call_error::kind::badarg);
  CHECK_MESSAGE(mentions(refused.error(), "got {error,badarg}"), refused.error().reason().detail());
  // None of it harmed the server.
  CHECK(otp::gen_server::call(n.remote(), typed::bump{1}) == 1);
}

TEST_CASE("erlang pid call: the server's exit during the call ends it with the reason") {
  std::atomic<int> calls{0};
  pid_nodes<holder> n{&calls};
  auto h = n.remote();
  auto began = std::chrono::steady_clock::now();
  auto call = std::async(std::launch::async,
                         [&] { return otp::gen_server::try_call(h, typed::bump{1}, 20s); });
  REQUIRE(test_util::eventually([&] { return calls.load() == 1; }));
  REQUIRE(otp::gen_server::stop(n.server, otp::exit_reason::error("boom"), 5s).has_value());
  REQUIRE(call.wait_for(5s) == std::future_status::ready);
  auto r = call.get();
  REQUIRE(!r.has_value());
  CHECK(r.error().what_kind() == call_error::kind::exited);
  CHECK_MESSAGE(mentions(r.error(), "boom"), fmt::format("{}", r.error().reason()));
  CHECK(std::chrono::steady_clock::now() - began < 10s);
  CHECK(test_util::eventually([&] { return n.left_behind() == 0; }));
}

TEST_CASE("erlang pid call: a call that times out leaves nothing behind") {
  std::atomic<int> calls{0};
  pid_nodes<holder> n{&calls};
  auto h = n.remote();
  auto r = otp::gen_server::try_call(h, typed::bump{1}, 200ms);
  REQUIRE(!r.has_value());
  CHECK(r.error().what_kind() == call_error::kind::timeout);
  auto parked = in_process(n.na, [&] {
    auto x = otp::gen_server::try_call(h, typed::bump{2}, 200ms);
    return x ? call_error::kind::noproc : x.error().what_kind();
  });
  CHECK(parked == call_error::kind::timeout);
  CHECK(calls.load() == 2);
  // The monitors' DEMONITOR_P ride with the next packet to beta: a message to the server.
  otp::send(otp::pid{h}, term::make_atom("flush"));
  CHECK(test_util::eventually([&] { return n.left_behind() == 0; }));
}

TEST_CASE("erlang pid call: the server's node going away ends the call with noconnection") {
  std::atomic<int> calls{0};
  pid_nodes<holder> n{&calls};
  auto h = n.remote();
  auto call = std::async(std::launch::async,
                         [&] { return otp::gen_server::try_call(h, typed::bump{1}, 20s); });
  REQUIRE(test_util::eventually([&] { return calls.load() == 1; }));
  auto began = std::chrono::steady_clock::now();
  n.b.reset();  // beta's distribution stops: its connections close
  REQUIRE(call.wait_for(5s) == std::future_status::ready);
  auto r = call.get();
  REQUIRE(!r.has_value());
  CHECK(r.error().what_kind() == call_error::kind::exited);
  CHECK(r.error().reason() == otp::exit_reason::noconnection());
  CHECK(std::chrono::steady_clock::now() - began < 2s);
  CHECK(erl::distribution_access::of(*n.a).pending_->size() == 0);
}

TEST_CASE("erlang pid call: a call to a process that is gone is noproc") {
  pid_nodes<typed::counter> n;
  auto gone = otp::spawn(n.nb, [] { (void)otp::receive<term>(5s); });
  auto p = n.a->process(n.b->pid_of(gone));
  otp::send(gone, term{1});
  REQUIRE(otp::await_exit(gone, 5s));
  auto r = otp::gen_server::try_call(otp::server_ref<typed::counter>{p}, typed::bump{1}, 5s);
  REQUIRE(!r.has_value());
  CHECK(r.error().what_kind() == call_error::kind::noproc);
  CHECK(test_util::eventually([&] { return n.left_behind() == 0; }));
}
