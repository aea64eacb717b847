#include "dist/handshake.hpp"

#include "dist/wire.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

namespace otp::dist::detail {

namespace {

using bytes = std::vector<std::uint8_t>;
using byte_span = std::span<const std::uint8_t>;
using enum dist_error::kind;

// Fixed-length, NUL-terminated labels: no message of one kind is a prefix of the other.
constexpr std::string_view client_label{"caf-otp dist v1 client\0", 23};
constexpr std::string_view server_label{"caf-otp dist v1 server\0", 23};
constexpr std::size_t header_size = 2;

using wire::put;
using wire::reader;

void put_hello(bytes& out, const node_hello& h) {
  put(out, h.version, 2);
  put(out, h.creation, 4);
  put(out, h.tick_ms, 4);
  put(out, h.name.size(), 1);
  put(out, h.name);
}

bytes frame(char tag, byte_span body) {
  bytes out;
  put(out, body.size() + 1, 2);
  out.push_back(static_cast<std::uint8_t>(tag));
  put(out, body);
  return out;
}

bytes frame(char tag, std::string_view body) {
  return frame(tag, byte_span{reinterpret_cast<const std::uint8_t*>(body.data()), body.size()});
}

bool printable(std::string_view s) noexcept {
  return std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

/// Hostile names end up in log lines: show only printable ASCII.
std::string sanitized(std::string_view s) {
  std::string out{s};
  std::replace_if(
    out.begin(), out.end(), [](char c) { return c < ' ' || c >= 0x7f; }, '?');
  return out;
}

dist_error malformed_frame(std::string detail) {
  return dist_error{malformed, std::move(detail)};
}

}  // namespace

bool valid_node_name(std::string_view name) noexcept {
  auto at = name.find('@');
  return !name.empty() && name.size() <= max_node_name && printable(name) && at != 0
         && at != std::string_view::npos && at + 1 < name.size();
}

handshake::handshake(role r, node_hello self, std::string cookie, admit_fn admit,
                     std::optional<std::string> expected_peer)
  : role_(r),
    self_(std::move(self)),
    cookie_(std::move(cookie)),
    admit_(std::move(admit)),
    expected_peer_(std::move(expected_peer)) {
  if (!valid_node_name(self_.name))
    fail({bad_name, fmt::format("our own name {} is not name@host", sanitized(self_.name))});
  else if (cookie_.empty())
    fail({bad_option, "empty cookie"});
  else if (self_.creation == 0)
    fail({bad_option, "creation 0"});
}

std::vector<std::uint8_t> handshake::start() {
  if (step_ != step::idle)
    return {};
  if (role_ == role::server) {
    expect(step::server_hello);
    return {};
  }
  expect(step::client_status);
  bytes hello;
  put_hello(hello, self_);
  return frame('N', hello);
}

std::size_t handshake::want() const noexcept {
  if (step_ == step::idle || step_ == step::done || step_ == step::failed)
    return 0;
  return need_ - buffer_.size();
}

handshake::state handshake::current() const noexcept {
  if (step_ == step::done)
    return state::done;
  return step_ == step::failed ? state::failed : state::running;
}

std::vector<std::uint8_t> handshake::feed(std::span<const std::uint8_t> in) {
  if (in.size() > want())
    throw std::logic_error(fmt::format("handshake: fed {} bytes, wanted {}", in.size(), want()));
  put(buffer_, in);
  if (in.empty() || buffer_.size() < need_)
    return {};
  if (!in_body_) {
    auto length = std::size_t{buffer_[0]} << 8 | buffer_[1];
    if (length == 0)
      return fail(malformed_frame("empty frame"));
    if (length > max_handshake_frame)
      return fail(
        {oversized, fmt::format("{} bytes, the limit is {}", length, max_handshake_frame)});
    buffer_.clear();
    in_body_ = true;
    need_ = length;
    return {};
  }
  auto payload = std::move(buffer_);
  expect(step_);  // the next frame's header, unless on_frame moves on
  return on_frame(payload);
}

std::vector<std::uint8_t> handshake::on_frame(std::span<const std::uint8_t> payload) {
  auto tag = static_cast<char>(payload[0]);
  auto body = payload.subspan(1);
  if (step_ == step::server_hello && tag == 'N')
    return on_client_hello(body);
  if (step_ == step::server_reply && tag == 'r')
    return on_client_reply(body);
  if ((step_ == step::client_status || step_ == step::client_ack) && tag == 's')
    return on_status(body);
  if (step_ == step::client_hello && tag == 'N')
    return on_server_hello(body);
  if (step_ == step::client_ack && tag == 'a')
    return on_ack(body);
  return fail(malformed_frame(fmt::format("unexpected tag 0x{:02x}", payload[0])));
}

std::optional<dist_error> handshake::check_peer(std::span<const std::uint8_t> body,
                                                std::size_t extra) {
  reader r{body};
  node_hello hello;
  hello.version = static_cast<std::uint16_t>(r.number(2));
  if (!r.ok)
    return malformed_frame("hello without a version");
  if (hello.version != self_.version)
    return dist_error{version_mismatch, fmt::format("peer speaks version {}, we speak {}",
                                                    hello.version, self_.version)};
  hello.creation = static_cast<std::uint32_t>(r.number(4));
  hello.tick_ms = static_cast<std::uint32_t>(r.number(4));
  auto name = r.take(r.number(1));
  if (!r.ok || r.in.size() != extra)
    return malformed_frame("hello of the wrong size");
  hello.name.assign(name.begin(), name.end());
  if (!valid_node_name(hello.name))
    return dist_error{bad_name, fmt::format("{} is not name@host", sanitized(hello.name))};
  if (hello.creation == 0)
    return malformed_frame("creation 0");
  if (hello.tick_ms != self_.tick_ms)
    return dist_error{tick_mismatch, fmt::format("peer ticks every {} ms, we every {} ms",
                                                 hello.tick_ms, self_.tick_ms)};
  if (hello.name == self_.name)
    return dist_error{role_ == role::server ? duplicate_name : wrong_node,
                      fmt::format("the peer claims our own name {}", self_.name)};
  peer_ = std::move(hello);
  return std::nullopt;
}

std::vector<std::uint8_t> handshake::on_client_hello(std::span<const std::uint8_t> body) {
  if (auto e = check_peer(body, 0))
    return fail(*e);
  if (admit_) {
    if (auto e = admit_(peer_))
      return fail(*e);
  }
  if (RAND_bytes(server_challenge_.data(), challenge_size) != 1)
    return fail({system, "RAND_bytes failed"});
  bytes hello;
  put_hello(hello, self_);
  put(hello, server_challenge_);
  auto out = frame('s', "ok");
  put(out, frame('N', hello));
  expect(step::server_reply);
  return out;
}

std::vector<std::uint8_t> handshake::on_client_reply(std::span<const std::uint8_t> body) {
  if (body.size() != challenge_size + digest_size)
    return fail(malformed_frame("challenge reply of the wrong size"));
  std::copy_n(body.begin(), challenge_size, client_challenge_.begin());
  if (client_challenge_ == server_challenge_)
    return fail({not_allowed, "the peer reflected our challenge"});
  auto expected = mac(true);
  if (!expected)
    return fail({system, "HMAC-SHA-256 failed"});
  if (CRYPTO_memcmp(expected->data(), body.data() + challenge_size, digest_size) != 0)
    return fail({not_allowed, "the peer's digest did not verify (wrong cookie?)"});
  auto ack = mac(false);
  if (!ack)
    return fail({system, "HMAC-SHA-256 failed"});
  expect(step::done);
  return frame('a', *ack);
}

std::vector<std::uint8_t> handshake::on_status(std::span<const std::uint8_t> body) {
  std::string_view reason{reinterpret_cast<const char*>(body.data()), body.size()};
  if (reason.empty() || !printable(reason))
    return fail(malformed_frame("status without a printable reason"));
  if (reason != "ok")
    return fail({refused, std::string{reason}});
  if (step_ != step::client_status)
    return fail(malformed_frame("a second ok status"));
  expect(step::client_hello);
  return {};
}

std::vector<std::uint8_t> handshake::on_server_hello(std::span<const std::uint8_t> body) {
  if (auto e = check_peer(body, challenge_size))
    return fail(*e);
  if (expected_peer_ && peer_.name != *expected_peer_)
    return fail({wrong_node, fmt::format("dialled {}, reached {}", *expected_peer_, peer_.name)});
  std::copy(body.end() - challenge_size, body.end(), server_challenge_.begin());
  if (RAND_bytes(client_challenge_.data(), challenge_size) != 1)
    return fail({system, "RAND_bytes failed"});
  auto digest = mac(true);
  if (!digest)
    return fail({system, "HMAC-SHA-256 failed"});
  bytes reply;
  put(reply, client_challenge_);
  put(reply, *digest);
  expect(step::client_ack);
  return frame('r', reply);
}

std::vector<std::uint8_t> handshake::on_ack(std::span<const std::uint8_t> body) {
  if (body.size() != digest_size)
    return fail(malformed_frame("ack of the wrong size"));
  auto expected = mac(false);
  if (!expected)
    return fail({system, "HMAC-SHA-256 failed"});
  if (CRYPTO_memcmp(expected->data(), body.data(), digest_size) != 0)
    return fail({not_allowed, "the peer's ack did not verify (wrong cookie?)"});
  expect(step::done);
  return {};
}

std::optional<std::array<std::uint8_t, digest_size>> handshake::mac(bool client_digest) {
  bytes message;
  put(message, client_digest ? client_label : server_label);
  put(message, client_digest ? server_challenge_ : client_challenge_);
  put(message, client_digest ? client_challenge_ : server_challenge_);
  put_hello(message, role_ == role::client ? self_ : peer_);
  put_hello(message, role_ == role::client ? peer_ : self_);
  std::array<std::uint8_t, digest_size> out{};
  std::size_t length = 0;
  if (!EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, cookie_.data(), cookie_.size(),
                 message.data(), message.size(), out.data(), out.size(), &length)
      || length != digest_size)
    return std::nullopt;
  return out;
}

std::vector<std::uint8_t> handshake::fail(dist_error e) {
  error_ = std::move(e);
  expect(step::failed);
  if (role_ == role::client)
    return {};
  return frame('s', to_string(error_.what));
}

void handshake::expect(step next) {
  step_ = next;
  in_body_ = false;
  need_ = header_size;
  buffer_.clear();
}

}  // namespace otp::dist::detail
