// Unit tests of the kv store, written as a user would with caf-otp's test kit: no threads,
// no sleeps; virtual time makes the expiry test instantaneous and exact.

#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include "kv_store.hpp"

#include <otp/sys.hpp>
#include <otp/test/kit.hpp>

using namespace std::chrono_literals;
namespace gen_server = otp::gen_server;

TEST_CASE("put then get") {
  otp::test::kit kit;
  auto kv = gen_server::start<kv::store>(kit.node()).value();
  CHECK(gen_server::call(kv, kv::put{"a", "1"}));
  CHECK(gen_server::call(kv, kv::get{"a"}) == "1");
  CHECK(gen_server::call(kv, kv::get{"b"}) == std::nullopt);
}

TEST_CASE("entries expire after their ttl, and a rewrite restarts the ttl") {
  otp::test::kit kit;
  auto kv = gen_server::start<kv::store>(kit.node()).value();
  gen_server::call(kv, kv::put{"s", "1", 10s});
  kit.advance(9s);
  gen_server::call(kv, kv::put{"s", "2", 10s});
  kit.advance(5s);  // the first timer fired at 10 s and was ignored
  CHECK(gen_server::call(kv, kv::get{"s"}) == "2");
  kit.advance(5s);
  CHECK(gen_server::call(kv, kv::get{"s"}) == std::nullopt);
}

namespace {

struct go {};

/// Puts a key into the store some time after it starts, from its own timer.
struct delayed_writer {
  using info_types = otp::types<go>;
  otp::server_ref<kv::store> kv;
  void init(otp::server_ref<kv::store> store, otp::timeout delay) {
    kv = store;
    otp::send_after(delay, go{});
  }
  void handle_info(const go&) { gen_server::call(kv, kv::put{"k", "v"}); }
};

}  // namespace

TEST_CASE("await is answered when the key is put") {
  otp::test::kit kit;
  auto kv = gen_server::start<kv::store>(kit.node()).value();
  gen_server::start<delayed_writer>(kit.node(), kv, otp::timeout{3s}).value();
  CHECK(gen_server::call(kv, kv::await{"k"}) == "v");
  CHECK(kit.now() == 3s);
}

TEST_CASE("await times out when nobody puts the key") {
  otp::test::kit kit;
  auto kv = gen_server::start<kv::store>(kit.node()).value();
  auto r = gen_server::try_call(kv, kv::await{"k"}, 1s);
  REQUIRE_FALSE(r);
  CHECK(r.error().what_kind() == otp::call_error::kind::timeout);
  CHECK(kit.now() == 1s);
  CHECK(otp::sys::get_state(kv).value() == "0 entries, 1 keys awaited");
}
