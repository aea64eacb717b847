// Ensure that caf-otp's codec and Erlang's own C library, ei (erl_interface), understand each
// other: terms ei encodes decode to the expected otp::term, and every term caf-otp encodes is
// walked by ei to its last byte and read back field by field.

#include <otp/term.hpp>

#include <doctest/doctest.h>

#include <ei.h>

#include <cstring>
#include <functional>
#include <string>
#include <vector>

using namespace otp::literals;
using otp::term;

namespace {

/// An ei_x_buff for one test, freed at the end.
struct ei_buffer {
  ei_x_buff x{};
  ei_buffer() {
    ei_init();
    ei_x_new_with_version(&x);
  }
  ~ei_buffer() { ei_x_free(&x); }
  ei_buffer(const ei_buffer&) = delete;
  ei_buffer& operator=(const ei_buffer&) = delete;

  std::span<const std::uint8_t> bytes() const {
    return {reinterpret_cast<const std::uint8_t*>(x.buff), static_cast<std::size_t>(x.index)};
  }
};

term decode_ei(const std::function<void(ei_x_buff*)>& encode) {
  ei_buffer b;
  encode(&b.x);
  auto t = otp::etf::decode(b.bytes());
  if (!t)
    FAIL(t.error().what());
  return *t;
}

/// ei walks `bytes` (version and one term) and stops exactly at the end.
bool ei_walks(const std::vector<std::uint8_t>& bytes) {
  int index = 0;
  int version = 0;
  const auto* buf = reinterpret_cast<const char*>(bytes.data());
  return ei_decode_version(buf, &index, &version) == 0 && version == 131
         && ei_skip_term(buf, &index) == 0 && static_cast<std::size_t>(index) == bytes.size();
}

}  // namespace

TEST_CASE("ei: what ei encodes decodes to the same term") {
  CHECK(decode_ei([](ei_x_buff* x) { ei_x_encode_long(x, -123456); }) == term{-123456});
  CHECK(decode_ei([](ei_x_buff* x) { ei_x_encode_longlong(x, INT64_MIN); }) == term{INT64_MIN});
  CHECK(decode_ei([](ei_x_buff* x) { ei_x_encode_ulonglong(x, UINT64_MAX); })
        == term{std::uint64_t{UINT64_MAX}});
  CHECK(decode_ei([](ei_x_buff* x) { ei_x_encode_double(x, 0.1); }) == term{0.1});
  CHECK(decode_ei([](ei_x_buff* x) {
          ei_x_encode_atom_len_as(x, "h\xc3\xa9", 3, ERLANG_UTF8, ERLANG_UTF8);
        })
        == term{otp::atom{"hé"}});
  CHECK(decode_ei([](ei_x_buff* x) { ei_x_encode_string(x, "abc"); }) == term::string("abc"));
  CHECK(decode_ei([](ei_x_buff* x) { ei_x_encode_binary(x, "\0\1", 2); })
        == term::binary(std::string_view{"\0\1", 2}));
  CHECK(decode_ei([](ei_x_buff* x) {
          ei_x_encode_tuple_header(x, 2);
          ei_x_encode_atom(x, "bump");
          ei_x_encode_long(x, 10);
        })
        == term::tuple({"bump"_atom, 10}));
  CHECK(decode_ei([](ei_x_buff* x) {
          ei_x_encode_list_header(x, 2);
          ei_x_encode_long(x, 1);
          ei_x_encode_long(x, 1000);
          ei_x_encode_atom(x, "tail");
        })
        == term::list({1, 1000}, "tail"_atom));
  CHECK(decode_ei([](ei_x_buff* x) {
          ei_x_encode_map_header(x, 1);
          ei_x_encode_atom(x, "k");
          ei_x_encode_empty_list(x);
        })
        == term::map({{"k"_atom, term{}}}));
}

TEST_CASE("ei: identifiers ei encodes") {
  ::erlang_pid pid{};
  std::strcpy(pid.node, "a@host");
  pid.num = 45;
  pid.serial = 2;
  pid.creation = 1701;
  CHECK(decode_ei([&](ei_x_buff* x) { ei_x_encode_pid(x, &pid); })
        == term{otp::erlang_pid{.node = "a@host"_atom, .id = 45, .serial = 2, .creation = 1701}});
  ::erlang_ref ref{};
  std::strcpy(ref.node, "a@host");
  ref.len = 3;
  ref.n[0] = 1;
  ref.n[1] = 2;
  ref.n[2] = 3;
  ref.creation = 9;
  CHECK(decode_ei([&](ei_x_buff* x) { ei_x_encode_ref(x, &ref); })
        == term{
          otp::erlang_ref{.node = "a@host"_atom, .creation = 9, .words = {1, 2, 3}, .length = 3}});
  ::erlang_port port{};
  std::strcpy(port.node, "a@host");
  port.id = std::uint64_t{1} << 40;
  port.creation = 3;
  CHECK(
    decode_ei([&](ei_x_buff* x) { ei_x_encode_port(x, &port); })
    == term{otp::erlang_port{.node = "a@host"_atom, .id = std::uint64_t{1} << 40, .creation = 3}});
}

TEST_CASE("ei: ei walks and reads what caf-otp encodes") {
  std::vector<term> terms = {
    term::tuple({"bump"_atom, 10, term::binary("x"), term::list({1, 2}, 3)}),
    term::map({{"a"_atom, 1.5}, {term::string("k"), term{}}}),
    term{otp::big_integer::from_string("-" + std::string(1000, '7')).value()},
    term::list(std::vector<term>(70000, term{300})),
    term{otp::atom{"\xce\xb1" + std::string(254, 'b')}},
  };
  for (const auto& t : terms)
    CHECK(ei_walks(otp::etf::encode(t)));

  auto bytes = otp::etf::encode(
    otp::erlang_pid{.node = "a@host"_atom, .id = 45, .serial = 2, .creation = 1701});
  int index = 1;
  ::erlang_pid pid{};
  REQUIRE(ei_decode_pid(reinterpret_cast<const char*>(bytes.data()), &index, &pid) == 0);
  CHECK(std::string{pid.node} == "a@host");
  CHECK(pid.num == 45);
  CHECK(pid.serial == 2);
  CHECK(pid.creation == 1701);

  bytes = otp::etf::encode(term{INT64_MIN});
  index = 1;
  long long v = 0;
  REQUIRE(ei_decode_longlong(reinterpret_cast<const char*>(bytes.data()), &index, &v) == 0);
  CHECK(v == INT64_MIN);
}
