#include "dist/erlang/handshake.hpp"

#include "dist/handshake.hpp"
#include "dist/wire.hpp"

#include <fmt/format.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace otp::dist::erlang {

namespace {

using bytes = std::vector<std::uint8_t>;
using byte_span = std::span<const std::uint8_t>;
using enum dist_error::kind;
constexpr std::size_t header_size = 2;

bytes frame(char tag, const bytes& body) {
  bytes out;
  wire::put(out, body.size() + 1, 2);
  out.push_back(static_cast<std::uint8_t>(tag));
  wire::put(out, std::span{body});
  return out;
}

std::uint32_t random_challenge() {
  std::uint32_t value = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value) != 1)
    throw std::runtime_error{"RAND_bytes failed"};
  return value;
}

}  // namespace

digest gen_digest(std::uint32_t challenge, std::string_view cookie) {
  auto text = fmt::format("{}{}", cookie, challenge);
  digest out{};
  unsigned int size = 0;
  if (EVP_Digest(text.data(), text.size(), out.data(), &size, EVP_md5(), nullptr) != 1
      || size != digest_size)
    throw std::runtime_error{"MD5 failed"};
  return out;
}

handshake::handshake(role r, node_info self, std::string cookie, admit_fn admit,
                     std::optional<std::string> expected_peer, challenge_fn challenge)
  : role_(r),
    self_(std::move(self)),
    cookie_(std::move(cookie)),
    admit_(std::move(admit)),
    expected_peer_(std::move(expected_peer)),
    challenge_fn_(challenge ? std::move(challenge) : challenge_fn{random_challenge}) {
  if (!otp::dist::detail::valid_node_name(self_.name))
    fail(dist_error{bad_name, self_.name});
  else if (cookie_.empty())
    fail(dist_error{bad_option, "empty cookie"});
  else if (self_.creation == 0)
    fail(dist_error{bad_option, "creation 0"});
}

std::vector<std::uint8_t> handshake::start() {
  if (step_ != step::idle)
    return {};
  if (role_ == role::acceptor) {
    expect(step::name);
    return {};
  }
  bytes body;
  wire::put(body, self_.flags, 8);
  wire::put(body, self_.creation, 4);
  wire::put(body, self_.name.size(), 2);
  wire::put(body, self_.name);
  expect(step::status);
  return frame('N', body);
}

std::size_t handshake::want() const noexcept {
  if (step_ == step::idle || step_ == step::done || step_ == step::failed)
    return 0;
  return need_ - buffer_.size();
}

handshake::state handshake::current() const noexcept {
  return step_ == step::done ? state::done : step_ == step::failed ? state::failed : state::running;
}

void handshake::expect(step next) {
  step_ = next;
  in_body_ = false;
  need_ = header_size;
  buffer_.clear();
}

std::vector<std::uint8_t> handshake::feed(std::span<const std::uint8_t> in) {
  if (in.size() > want())
    throw std::logic_error{"erlang handshake: fed more bytes than wanted"};
  buffer_.insert(buffer_.end(), in.begin(), in.end());
  if (buffer_.size() < need_ || need_ == 0)
    return {};
  if (!in_body_) {
    auto length = (std::size_t{buffer_[0]} << 8) | buffer_[1];
    if (length == 0)
      return fail(dist_error{malformed, "empty handshake frame"});
    if (length > max_handshake_frame)
      return fail(dist_error{oversized, fmt::format("handshake frame of {} bytes", length)});
    in_body_ = true;
    need_ = length;
    buffer_.clear();
    return {};
  }
  auto payload = std::move(buffer_);
  buffer_.clear();
  return on_frame(payload);
}

void handshake::closed() {
  if (current() != state::running)
    return;
  if (step_ == step::ack)
    fail(dist_error{not_allowed, "the peer closed instead of acknowledging our digest"});
  else
    fail(dist_error{refused, "connection closed during the handshake"});
}

handshake::bytes handshake::on_frame(byte_span payload) {
  switch (step_) {
    case step::status:
      return on_status(payload);
    case step::challenge:
      return on_challenge(payload);
    case step::ack:
      return on_ack(payload);
    case step::name:
      return on_name(payload);
    case step::reply:
      return on_reply(payload);
    default:
      return {};
  }
}

// -- initiator --------------------------------------------------------------------------------

handshake::bytes handshake::on_status(byte_span payload) {
  if (payload[0] != 's')
    return fail(dist_error{malformed, fmt::format("status expected, tag {}", payload[0])});
  std::string_view status{reinterpret_cast<const char*>(payload.data()) + 1, payload.size() - 1};
  if (status == "ok" || status == "ok_simultaneous") {
    expect(step::challenge);
    return {};
  }
  if (status == "nok" || status == "alive")  // connected already, or dialling us and winning
    return fail(dist_error{duplicate_name, fmt::format("the peer said {}", status)});
  if (status == "not_allowed")
    return fail(dist_error{refused, "not_allowed"});
  return fail(dist_error{malformed, "unknown handshake status"});
}

handshake::bytes handshake::on_challenge(byte_span payload) {
  wire::reader in{payload.subspan(1)};
  peer_.flags = in.number(8);
  auto challenge = static_cast<std::uint32_t>(in.number(4));
  peer_.creation = static_cast<std::uint32_t>(in.number(4));
  peer_.name = std::string{in.text(in.number(2))};
  if (payload[0] != 'N' || !in.exact())
    return fail(dist_error{malformed, "bad challenge frame"});
  if (auto e = check_peer())
    return fail(*e);
  if (expected_peer_ && peer_.name != *expected_peer_)
    return fail(
      dist_error{wrong_node, fmt::format("dialled {}, reached {}", *expected_peer_, peer_.name)});
  my_challenge_ = challenge_fn_();
  bytes body;
  wire::put(body, my_challenge_, 4);
  auto d = gen_digest(challenge, cookie_);
  wire::put(body, std::span{d});
  expect(step::ack);
  return frame('r', body);
}

handshake::bytes handshake::on_ack(byte_span payload) {
  auto expected = gen_digest(my_challenge_, cookie_);
  if (payload[0] != 'a' || payload.size() != 1 + digest_size)
    return fail(dist_error{malformed, "bad challenge ack"});
  if (CRYPTO_memcmp(payload.data() + 1, expected.data(), digest_size) != 0)
    return fail(dist_error{not_allowed, "the peer's digest is wrong (another cookie)"});
  step_ = step::done;
  return {};
}

// -- acceptor ---------------------------------------------------------------------------------

handshake::bytes handshake::on_name(byte_span payload) {
  if (payload[0] == 'n')
    return fail(dist_error{version_mismatch, "handshake version 5 (OTP 22 or older)"});
  wire::reader in{payload.subspan(1)};
  peer_.flags = in.number(8);
  peer_.creation = static_cast<std::uint32_t>(in.number(4));
  peer_.name = std::string{in.text(in.number(2))};
  if (payload[0] != 'N' || !in.exact())
    return fail(dist_error{malformed, "bad send_name frame"});
  if (auto e = check_peer())
    return fail(*e);
  if (admit_) {
    if (auto refusal = admit_(peer_)) {
      auto status = refusal->what == duplicate_name ? "nok" : "not_allowed";
      return fail(*refusal, frame('s', bytes{status, status + std::string_view{status}.size()}));
    }
  }
  my_challenge_ = challenge_fn_();
  auto out = frame('s', bytes{'o', 'k'});
  bytes body;
  wire::put(body, self_.flags, 8);
  wire::put(body, my_challenge_, 4);
  wire::put(body, self_.creation, 4);
  wire::put(body, self_.name.size(), 2);
  wire::put(body, self_.name);
  auto challenge = frame('N', body);
  wire::put(out, std::span{challenge});
  expect(step::reply);
  return out;
}

handshake::bytes handshake::on_reply(byte_span payload) {
  wire::reader in{payload.subspan(1)};
  auto peer_challenge = static_cast<std::uint32_t>(in.number(4));
  auto got = in.take(digest_size);
  if (payload[0] != 'r' || !in.exact())
    return fail(dist_error{malformed, "bad challenge reply"});
  auto expected = gen_digest(my_challenge_, cookie_);
  // Erlang closes without a word on a wrong digest; so do we.
  if (CRYPTO_memcmp(got.data(), expected.data(), digest_size) != 0)
    return fail(dist_error{not_allowed, fmt::format("{} has another cookie", peer_.name)});
  auto d = gen_digest(peer_challenge, cookie_);
  step_ = step::done;
  return frame('a', bytes{d.begin(), d.end()});
}

std::optional<dist_error> handshake::check_peer() const {
  if (!otp::dist::detail::valid_node_name(peer_.name))
    return dist_error{bad_name, "the peer's name is not name@host"};
  if (!has_mandatory_flags(peer_.flags))
    return dist_error{version_mismatch, fmt::format("the peer lacks flags OTP 25 requires: {}",
                                                    flag_names(mandatory_flags_25 & ~peer_.flags))};
  if (peer_.creation == 0)
    return dist_error{malformed, "creation 0"};
  if (peer_.name == self_.name)
    return dist_error{role_ == role::acceptor ? duplicate_name : wrong_node,
                      "the peer has our name"};
  return std::nullopt;
}

handshake::bytes handshake::fail(dist_error e, bytes to_send) {
  if (step_ != step::failed)
    error_ = std::move(e);
  step_ = step::failed;
  buffer_.clear();
  return to_send;
}

}  // namespace otp::dist::erlang
