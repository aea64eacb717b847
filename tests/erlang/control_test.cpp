// Ensure that the control messages of data mode round-trip through their bytes, and that a
// packet that is not one is a typed error: fatal when it breaks the protocol, not when it only
// carries a message caf-otp cannot represent.

#include "dist/erlang/control.hpp"

#include <doctest/doctest.h>

#include <random>

using namespace otp;
using namespace otp::dist::erlang;
using bytes = std::vector<std::uint8_t>;

namespace {

erlang_pid beam_pid(std::uint32_t id) {
  return erlang_pid{atom{"beam@host"}, id, 0, 3};
}

erlang_ref beam_ref() {
  erlang_ref r{atom{"beam@host"}, 3, {1, 2, 3, 0, 0}, 3};
  return r;
}

control_message round_trip(const control_message& m) {
  auto packet = encode_control(m);
  CHECK(packet[0] == 112);
  auto back = decode_control(packet);
  REQUIRE(back.has_value());
  return *back;
}

bytes packet_of(const term& control, const std::optional<term>& message = std::nullopt) {
  bytes out{112};
  etf::encode_to(out, control);
  if (message)
    etf::encode_to(out, *message);
  return out;
}

control_error::kind error_of(const bytes& packet) {
  auto r = decode_control(packet);
  REQUIRE_FALSE(r.has_value());
  return r.error().what;
}

}  // namespace

TEST_CASE("erlang control: every message round-trips through its bytes") {
  auto msg = term::tuple({term::make_atom("hello"), 42});
  {
    auto m = std::get<reg_send_msg>(round_trip(reg_send_msg{beam_pid(1), atom{"inbox"}, msg}));
    CHECK(m.from == beam_pid(1));
    CHECK(m.to == atom{"inbox"});
    CHECK(m.message == msg);
  }
  {
    auto m = std::get<send_msg>(round_trip(send_msg{std::nullopt, beam_pid(2), msg}));
    CHECK_FALSE(m.from.has_value());
    CHECK(m.to == beam_pid(2));
    auto s = std::get<send_msg>(round_trip(send_msg{beam_pid(1), beam_pid(2), msg}));
    CHECK(s.from == beam_pid(1));
  }
  {
    auto m = std::get<link_msg>(round_trip(link_msg{beam_pid(1), beam_pid(2)}));
    CHECK(m.to == beam_pid(2));
  }
  {
    auto m = std::get<exit_msg>(
      round_trip(exit_msg{beam_pid(1), beam_pid(2), term::make_atom("boom"), true}));
    CHECK(m.exit2);
    CHECK(m.reason.is_atom("boom"));
  }
  {
    auto m = std::get<unlink_id_msg>(round_trip(unlink_id_msg{77, beam_pid(1), beam_pid(2), true}));
    CHECK(m.id == 77);
    CHECK(m.ack);
  }
  {
    auto m = std::get<monitor_msg>(
      round_trip(monitor_msg{beam_pid(1), term::make_atom("net_kernel"), beam_ref(), false}));
    CHECK(m.target.is_atom("net_kernel"));
    CHECK(m.ref == beam_ref());
    auto d = std::get<monitor_msg>(
      round_trip(monitor_msg{beam_pid(1), term{beam_pid(5)}, beam_ref(), true}));
    CHECK(d.demonitor);
  }
  {
    auto m = std::get<monitor_exit_msg>(round_trip(monitor_exit_msg{
      term::make_atom("inbox"), beam_pid(1), beam_ref(), term::make_atom("noproc")}));
    CHECK(m.reason.is_atom("noproc"));
  }
}

TEST_CASE("erlang control: SEND is {2, '', ToPid} then the message, as Erlang writes it") {
  auto packet = encode_control(send_msg{std::nullopt, beam_pid(2), term{1}});
  auto control = etf::decode_prefix(std::span{packet}.subspan(1));
  REQUIRE(control.has_value());
  CHECK(control->value == term::tuple({2, term::make_atom(""), term{beam_pid(2)}}));
}

TEST_CASE("erlang control: malformed packets are typed errors, fatal or not") {
  using k = control_error::kind;
  CHECK(error_of(bytes{}) == k::not_pass_through);
  CHECK(error_of(bytes{68, 0}) == k::not_pass_through);  // an atom-cache header
  CHECK(error_of(bytes{112, 131, 200}) == k::bad_control);
  CHECK(error_of(packet_of(term::make_atom("send"))) == k::bad_control);
  CHECK(error_of(packet_of(term::tuple({1, term{beam_pid(1)}}))) == k::bad_control);
  CHECK(error_of(packet_of(term::tuple({1, 5, term{beam_pid(1)}}))) == k::bad_control);
  CHECK(error_of(
          packet_of(term::tuple({6, term{beam_pid(1)}, term::make_atom(""), term::make_atom("x")})))
        == k::missing_message);
  auto link = packet_of(term::tuple({1, term{beam_pid(1)}, term{beam_pid(2)}}));
  link.push_back(0);
  CHECK(error_of(link) == k::trailing_bytes);
  // SPAWN_REQUEST (29): valid, not handled: the packet is dropped, the connection stays.
  auto spawn = decode_control(packet_of(term::tuple({29, 1, 2, 3, 4, 5, 6})));
  REQUIRE_FALSE(spawn.has_value());
  CHECK(spawn.error().what == k::unsupported);
  CHECK_FALSE(spawn.error().fatal());
  // A message holding a fun (NEW_FUN_EXT) cannot be represented: dropped, not fatal.
  auto with_fun = packet_of(term::tuple({2, term::make_atom(""), term{beam_pid(2)}}));
  with_fun.insert(with_fun.end(), {131, 112, 0, 0, 0, 0});
  auto fun = decode_control(with_fun);
  REQUIRE_FALSE(fun.has_value());
  CHECK(fun.error().what == k::bad_message);
  CHECK_FALSE(fun.error().fatal());
}

TEST_CASE("erlang control: random packets never throw") {
  std::mt19937 rng{112};
  auto base = encode_control(reg_send_msg{beam_pid(1), atom{"inbox"}, term::string("hi")});
  for (int i = 0; i < 5000; ++i) {
    auto p = base;
    for (int flips = 0; flips < 3; ++flips)
      p[rng() % p.size()] = static_cast<std::uint8_t>(rng());
    p.resize(rng() % (p.size() + 1));
    CHECK_NOTHROW((void)decode_control(p));
  }
}
