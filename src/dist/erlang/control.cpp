#include "dist/erlang/control.hpp"

#include <fmt/format.h>

#include <cstring>

namespace otp::dist::erlang {

namespace {

using enum control_error::kind;
constexpr std::uint8_t pass_through = 112;
/// Control parts up to this size are kept for the next packet (decode_control).
constexpr std::size_t max_cached_control = 256;

unexpected<control_error> error(control_error::kind k, std::int64_t operation, std::string detail) {
  return unexpected{control_error{k, operation, std::move(detail)}};
}

/// The fields of a control tuple, typed; a wrong type clears `ok`.
struct fields {
  std::span<const term> in;
  bool ok = true;

  const term& at(std::size_t i) {
    static const term nil;
    if (i >= in.size()) {
      ok = false;
      return nil;
    }
    return in[i];
  }
  erlang_pid pid(std::size_t i) {
    if (auto* p = at(i).get_if<erlang_pid>())
      return *p;
    ok = false;
    return {};
  }
  erlang_ref ref(std::size_t i) {
    if (auto* r = at(i).get_if<erlang_ref>())
      return *r;
    ok = false;
    return {};
  }
  atom name(std::size_t i) {
    if (auto* a = at(i).get_if<atom>())
      return *a;
    ok = false;
    return {};
  }
  std::uint64_t id(std::size_t i) {
    if (auto* n = at(i).get_if<std::int64_t>(); n != nullptr && *n >= 0)
      return static_cast<std::uint64_t>(*n);
    if (auto* b = at(i).get_if<big_integer>()) {
      if (auto v = b->to_uint64())
        return *v;
    }
    ok = false;
    return 0;
  }
  /// A monitor's target: a pid or a registered name.
  term process(std::size_t i) {
    const auto& t = at(i);
    if (t.get_if<erlang_pid>() == nullptr && !t.is_atom())
      ok = false;
    return t;
  }
};

std::size_t arity_of(std::int64_t operation) {
  switch (operation) {
    case op::link:
    case op::send:
    case op::send_sender:
      return 3;
    case op::exit:
    case op::exit2:
    case op::reg_send:
    case op::monitor_p:
    case op::demonitor_p:
    case op::unlink_id:
    case op::unlink_id_ack:
      return 4;
    case op::monitor_p_exit:
      return 5;
    default:
      return 0;
  }
}

bool carries_message(std::int64_t operation) {
  return operation == op::send || operation == op::send_sender || operation == op::reg_send;
}

control_message typed(std::int64_t operation, fields& f, term message) {
  switch (operation) {
    case op::link:
      return link_msg{f.pid(1), f.pid(2)};
    case op::send:
      return send_msg{std::nullopt, f.pid(2), std::move(message)};
    case op::send_sender:
      return send_msg{f.pid(1), f.pid(2), std::move(message)};
    case op::reg_send:
      return reg_send_msg{f.pid(1), f.name(3), std::move(message)};
    case op::exit:
    case op::exit2:
      return exit_msg{f.pid(1), f.pid(2), f.at(3), operation == op::exit2};
    case op::unlink_id:
    case op::unlink_id_ack:
      return unlink_id_msg{f.id(1), f.pid(2), f.pid(3), operation == op::unlink_id_ack};
    case op::monitor_p:
    case op::demonitor_p:
      return monitor_msg{f.pid(1), f.process(2), f.ref(3), operation == op::demonitor_p};
    default:  // op::monitor_p_exit
      return monitor_exit_msg{f.process(1), f.pid(2), f.ref(3), f.at(4)};
  }
}

}  // namespace

std::string_view to_string(control_error::kind k) noexcept {
  switch (k) {
    case not_pass_through:
      return "not_pass_through";
    case bad_control:
      return "bad_control";
    case unsupported:
      return "unsupported";
    case bad_message:
      return "bad_message";
    case missing_message:
      return "missing_message";
    case trailing_bytes:
      return "trailing_bytes";
  }
  return "unknown";
}

expected<control_message, control_error> decode_control(std::span<const std::uint8_t> packet,
                                                        const etf::decode_options& options) {
  if (packet.empty() || packet[0] != pass_through)
    return error(not_pass_through, 0, "a data packet that is not a pass-through (112) packet");
  auto rest = packet.subspan(1);
  // A connection mostly carries runs of packets with the same control part (a stream of casts
  // from one process to one name): the last one decoded on this thread is kept, and a packet
  // that begins with the same bytes reuses it (a term's encoding marks its own end, so the
  // same bytes are the same term) instead of decoding it again.
  struct last_control {
    std::vector<std::uint8_t> bytes;
    etf::decoded control;
  };
  thread_local last_control last;
  const etf::decoded* control = nullptr;
  if (!last.bytes.empty() && rest.size() >= last.bytes.size()
      && std::memcmp(rest.data(), last.bytes.data(), last.bytes.size()) == 0) {
    control = &last.control;
  } else {
    auto decoded = etf::decode_prefix(rest, options);
    if (!decoded)
      return error(bad_control, 0, decoded.error().what());
    // A large control part is decoded every time: comparing it would cost as much.
    if (decoded->size <= max_cached_control)
      last.bytes.assign(rest.begin(), rest.begin() + static_cast<std::ptrdiff_t>(decoded->size));
    else
      last.bytes.clear();
    last.control = std::move(*decoded);
    control = &last.control;
  }
  const auto& tuple = control->value;
  auto operation_term =
    tuple.is_tuple() && tuple.size() > 0 ? tuple[0].get_if<std::int64_t>() : nullptr;
  if (operation_term == nullptr)
    return error(bad_control, 0, "the control message is not a tuple starting with an integer");
  auto operation = *operation_term;
  auto arity = arity_of(operation);
  if (arity == 0)
    return error(unsupported, operation, fmt::format("operation {}", operation));
  if (tuple.size() != arity)
    return error(bad_control, operation,
                 fmt::format("operation {} with {} elements", operation, tuple.size()));
  rest = rest.subspan(control->size);
  term message;
  if (carries_message(operation)) {
    if (rest.empty())
      return error(missing_message, operation, "no message after the control message");
    auto decoded = etf::decode(rest, options);
    if (!decoded)
      return error(decoded.error().what_kind() == etf::decode_error::kind::trailing_bytes
                     ? trailing_bytes
                     : bad_message,
                   operation, decoded.error().what());
    message = std::move(*decoded);
  } else if (!rest.empty()) {
    return error(trailing_bytes, operation, "bytes after the control message");
  }
  fields f{tuple.tuple_elements()};
  auto m = typed(operation, f, std::move(message));
  if (!f.ok)
    return error(bad_control, operation,
                 fmt::format("operation {}: an element of the wrong type", operation));
  return m;
}

namespace {

term pid_term(const erlang_pid& p) {
  return term{p};
}

struct encoder {
  std::vector<std::uint8_t>& out;

  void put(const term& t) { etf::encode_to(out, t); }

  void operator()(const link_msg& m) {
    put(term::tuple({op::link, pid_term(m.from), pid_term(m.to)}));
  }
  void operator()(const send_msg& m) {
    if (m.from)
      put(term::tuple({op::send_sender, pid_term(*m.from), pid_term(m.to)}));
    else
      put(term::tuple({op::send, term::make_atom(""), pid_term(m.to)}));
    put(m.message);
  }
  void operator()(const reg_send_msg& m) {
    put(term::tuple({op::reg_send, pid_term(m.from), term::make_atom(""), term{m.to}}));
    put(m.message);
  }
  void operator()(const exit_msg& m) {
    put(term::tuple({m.exit2 ? op::exit2 : op::exit, pid_term(m.from), pid_term(m.to), m.reason}));
  }
  void operator()(const unlink_id_msg& m) {
    put(term::tuple(
      {m.ack ? op::unlink_id_ack : op::unlink_id, term{m.id}, pid_term(m.from), pid_term(m.to)}));
  }
  void operator()(const monitor_msg& m) {
    put(term::tuple(
      {m.demonitor ? op::demonitor_p : op::monitor_p, pid_term(m.from), m.target, term{m.ref}}));
  }
  void operator()(const monitor_exit_msg& m) {
    put(term::tuple({op::monitor_p_exit, m.from, pid_term(m.to), term{m.ref}, m.reason}));
  }
};

}  // namespace

std::vector<std::uint8_t> encode_control(const control_message& m) {
  std::vector<std::uint8_t> out;
  out.reserve(128);  // a control tuple and a small message, without growing step by step
  out.push_back(pass_through);
  std::visit(encoder{out}, m);
  return out;
}

namespace detail {

reg_send_header& last_reg_send_header() noexcept {
  thread_local reg_send_header last;
  return last;
}

std::vector<std::uint8_t> encode_reg_send_header(const erlang_pid& from, std::string_view to) {
  std::vector<std::uint8_t> out{pass_through};
  etf::encode_to(
    out, term::tuple({op::reg_send, pid_term(from), term::make_atom(""), term::make_atom(to)}));
  return out;
}

void append_message(std::vector<std::uint8_t>& out, const term& message) {
  etf::encode_to(out, message);
}

}  // namespace detail

}  // namespace otp::dist::erlang
