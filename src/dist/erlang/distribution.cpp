// otp::dist::erlang::distribution: starting (listen, epmd, creation) and the public calls,
// which hand their work to the I/O thread (kernel.cpp).

#include "dist/erlang/kernel.hpp"
#include "dist/erlang/node_name.hpp"
#include "otp/caf.hpp"
#include "otp/dist/options.hpp"

#include "net/io_wait.hpp"
#include "otp/process.hpp"
#include "process/message_loop.hpp"
#include "process/server_core.hpp"
#include "runtime/node_access.hpp"

#include <caf/abstract_actor.hpp>
#include <caf/actor_cast.hpp>

#include <openssl/rand.h>
#include <pthread.h>

#include <future>

namespace otp::dist::erlang {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;
using enum dist_error::kind;

namespace {

template <class T>
expected<T, dist_error> wait_for(std::future<expected<T, dist_error>>& f, otp::timeout t,
                                 std::string_view what) {
  auto limit = t == infinity ? std::chrono::milliseconds{std::chrono::hours{24}} : t;
  if (f.wait_for(limit) != std::future_status::ready)
    return unexpected{dist_error{dist_error::kind::timeout, std::string{what}}};
  return f.get();
}

std::uint32_t random_creation() {
  std::uint32_t c = 0;
  while (c < 4)  // Erlang's dynamic creations start at 4; 0..3 are the old 2-bit ones
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&c), sizeof c) != 1)
      c = 4;
  return c;
}

using listening = expected<std::unique_ptr<listener>, dist_error>;

listening listen_tcp(distribution::impl& i) {
  error_code ec;
  auto ip = asio::ip::make_address(i.opts_.listen_address, ec);
  if (ec)
    return unexpected{dist_error{bad_option, "listen_address: " + i.opts_.listen_address}};
  return listener::open(i.io_, net::endpoint::tcp(ip.to_string(), i.opts_.port));
}

/// The Unix-socket carrier, as BASP's nodes have it: a directory only we can enter, the name's lock
/// file (held while the node runs: the creation number, and a second node of the name refused),
/// then the socket. Holding the lock, a socket file left at the path is a dead node's: the listen
/// socket replaces it.
listening listen_uds(distribution::impl& i, const std::string& alive) {
  if (auto ok = otp::dist::detail::prepare_node_dir(i.opts_.directory); !ok)
    return unexpected{ok.error()};
  auto lock = otp::dist::detail::creation_lock::acquire(uds_lock_path(i.opts_.directory, alive));
  if (!lock)
    return unexpected{lock.error()};
  i.lock_.emplace(std::move(*lock));
  return listener::open(i.io_, net::endpoint::local(uds_socket_path(i.opts_.directory, alive)));
}

}  // namespace

distribution::distribution(std::unique_ptr<impl> i) : impl_(std::move(i)) {}
distribution::~distribution() = default;

expected<std::unique_ptr<distribution>, dist_error> distribution::start(node& n, options opts) {
  auto address = parse_node_address(opts.name);
  if (!address || address->port)
    return unexpected{dist_error{bad_name, opts.name}};
  if (opts.cookie.empty())
    return unexpected{dist_error{bad_option, "cookie: empty"}};
  if (opts.tick_time < std::chrono::milliseconds{40})
    return unexpected{dist_error{bad_option, "tick_time: below 40 ms"}};
  if (opts.epmd_port == 0)
    opts.epmd_port = epmd::port_from_environment();
  opts.name = address->name;

  bool uds = opts.carrier == options::carrier_type::uds;
  if (uds && opts.directory.empty())
    opts.directory = otp::dist::default_directory();
  auto i = std::make_unique<impl>(n, opts);
  auto listening = uds ? listen_uds(*i, address->alive) : listen_tcp(*i);
  if (!listening)
    return unexpected{listening.error()};
  i->listener_ = std::move(*listening);
  i->port_ = i->listener_->port();

  i->thread_ = std::thread{[raw = i.get(), &sys = n.system()] {
    pthread_setname_np(pthread_self(), "otp.erl");
    // This thread runs the processes its reads make runnable, a few turns of one message
    // each per read batch (kernel.hpp, `inline_turn`); set before the first handler runs, read only
    // here. A gen_server's turn resumed here after a wait ends after that message too.
    turn_executor executor{sys};
    batch_wakes wakes{sys};
    otp::detail::short_turns_on_this_thread(true);
    raw->executor_ = &executor;
    raw->wakes_ = &wakes;
    raw->io_.run();
    raw->executor_ = nullptr;
    raw->wakes_ = nullptr;
  }};

  std::uint32_t creation = 0;
  if (uds) {
    creation = i->lock_->creation();
  } else if (opts.use_epmd) {
    auto registered = std::make_shared<std::promise<expected<std::uint32_t, dist_error>>>();
    auto answer = registered->get_future();
    i->registration_ = std::make_shared<epmd_registration>(i->io_);
    i->post([reg = i->registration_, epmd_port = opts.epmd_port, limit = opts.handshake_timeout,
             port = i->port_, alive = address->alive, p = registered] {
      reg->start(tcp::endpoint{asio::ip::address_v4::loopback(), epmd_port}, alive, port, limit,
                 [p](expected<std::uint32_t, dist_error> r) { p->set_value(std::move(r)); });
    });
    auto got = wait_for(answer, opts.handshake_timeout + otp::timeout{1000}, "epmd did not answer");
    if (!got)
      return unexpected{got.error()};
    creation = *got;
  } else {
    creation = random_creation();
  }

  i->config_ = connection_config{node_info{opts.name, advertised_flags, creation}, opts.cookie,
                                 opts.handshake_timeout, opts.tick_time, opts.max_packet};
  i->config_.queued = std::make_shared<send_gate>(opts.max_queued);
  i->pids_ = std::make_shared<local_pids>(atom{opts.name}, creation, n.system().node());
  set_local_node(atom{opts.name});
  i->start_replies();
  // For the observer, until the distribution stops (~impl clears it; the lifeline keeps a
  // report running meanwhile from reading a distribution going away).
  otp::detail::set_dist_reporter(n, [line = i->lifeline_] {
    std::lock_guard guard{line->mtx};
    return line->self != nullptr ? line->self->report() : otp::detail::dist_report{};
  });
  i->reporting_ = true;
  auto* raw = i.get();
  raw->post([raw] { raw->accept_next(); });
  n.logger().log(
    log_level::info, "dist", "erlang distribution: {} on {}, creation {}", opts.name,
    uds ? uds_socket_path(opts.directory, address->alive) : fmt::format("port {}", raw->port_),
    creation);
  return std::unique_ptr<distribution>{new distribution{std::move(i)}};
}

const std::string& distribution::name() const noexcept {
  return impl_->config_.self.name;
}

std::uint32_t distribution::creation() const noexcept {
  return impl_->config_.self.creation;
}

std::uint16_t distribution::port() const noexcept {
  return impl_->port_;
}

namespace {

/// The outcome the I/O thread hands a waiting `connect` or `disconnect`: a process parks
/// while it waits (its thread, maybe the I/O thread itself running it, goes on with others), a
/// plain thread blocks.
template <class T>
struct io_answer {
  net::detail::io_wait wait;
  std::optional<T> value;  // written before `fire`, read once the wait saw it fired
  void set(T v) {
    value = std::move(v);
    wait.fire();
  }
};

}  // namespace

expected<void, dist_error> distribution::connect(std::string_view target, otp::timeout t) {
  auto address = parse_node_address(target);
  if (!address)
    return unexpected{address.error()};
  auto answer = std::make_shared<io_answer<expected<void, dist_error>>>();
  answer->wait.arm();
  auto* i = impl_.get();
  // The waiter is keyed by the full name; `dial` is given the text with its port, if any.
  i->post([i, answer, name = address->name, text = std::string{target}] {
    if (i->stopped_) {
      answer->set(unexpected{dist_error{not_started, "distribution stopped"}});
      return;
    }
    if (auto it = i->connections_.find(name); it != i->connections_.end() && it->second->is_up()) {
      answer->set({});
      return;
    }
    i->waiters_[name].push_back([answer](std::optional<dist_error> e) {
      if (e)
        answer->set(unexpected{*e});
      else
        answer->set({});
    });
    i->dial(text);
  });
  auto limit = t == infinity ? otp::timeout{std::chrono::hours{24}} : t;
  if (!answer->wait.wait(limit))
    return unexpected{dist_error{dist_error::kind::timeout, "connect: no answer in time"}};
  return std::move(*answer->value);
}

bool distribution::disconnect(std::string_view node_name) {
  auto answer = std::make_shared<io_answer<bool>>();
  answer->wait.arm();
  auto* i = impl_.get();
  i->post([i, answer, name = std::string{node_name}] {
    auto it = i->connections_.find(name);
    bool found = it != i->connections_.end() && it->second->is_up();
    if (found)
      it->second->close(dist_error{refused, "disconnect_node"});
    answer->set(found);
  });
  return answer->wait.wait(std::chrono::seconds{10}) && *answer->value;
}

std::vector<std::string> distribution::nodes() const {
  std::lock_guard guard{impl_->mtx_};
  return impl_->up_nodes_;
}

void distribution::send(std::string_view name, std::string_view node_name, term message) {
  if (node_name == impl_->config_.self.name) {
    if (auto p = impl_->node_.whereis(name))
      otp::send(*p, std::move(message));
    return;
  }
  // The control part (from, to) as this thread last encoded it, if the sender and the name
  // are the same: a stream of casts encodes its message only.
  auto* core = otp::detail::process_core::current();
  auto body = encode_reg_send(impl_->instance_, core != nullptr ? core->id() : 0, name, message,
                              [this] { return impl_->sender_pid(); });
  impl_->send_to_node(node_name, std::move(body));
}

void distribution::send(const erlang_pid& to, term message) {
  if (impl_->pids_->is_ours(to)) {
    if (auto p = impl_->pids_->find(to))
      otp::send(*p, std::move(message));
    return;
  }
  impl_->send_to_node(to.node.name(),
                      encode_control(send_msg{std::nullopt, to, std::move(message)}));
}

erlang_pid distribution::pid_of(const pid& p) {
  return impl_->pids_->expose(p);
}

std::optional<pid> distribution::local_pid(const erlang_pid& p) const {
  return impl_->pids_->find(p);
}

bool distribution::register_name(const std::string& name, const pid& p) {
  pid holder;
  if (!otp::detail::node_access::register_name(impl_->node_, name, p, holder))
    return false;
  otp::actor_ptr(p)->attach_functor([n = &impl_->node_, name, id = p.id()] {
    otp::detail::node_access::unregister_name(*n, name, id);
  });
  return true;
}

void distribution::install(const pid& server, request_fn call, otp::timeout call_timeout,
                           cast_fn cast) {
  {
    std::lock_guard guard{impl_->mtx_};
    impl_->served_[server.id()] = impl::served{call, call_timeout, cast};
  }
  otp::actor_ptr(server)->attach_functor([line = impl_->lifeline_, id = server.id()] {
    std::lock_guard guard{line->mtx};
    if (auto* self = line->self) {
      std::lock_guard table{self->mtx_};
      self->served_.erase(id);
    }
  });
}

void distribution::check_shapes(const std::vector<std::pair<std::string, std::size_t>>& shapes) {
  for (std::size_t i = 0; i < shapes.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (shapes[i] == shapes[j]) {
        impl_->node_.logger().log(log_level::warning, "dist",
                                  "serve: two request types are {{{}, ...}} of size {}: the first "
                                  "listed in remote_requests takes every such request",
                                  shapes[i].first, shapes[i].second);
        break;
      }
}

call_error distribution::bad_reply(std::string_view name, std::string_view node_name,
                                   const term& reply, const convert_error* why) {
  static const term refused = term::tuple({term::make_atom("error"), term::make_atom("badarg")});
  if (reply == refused)
    return call_error{call_error::kind::badarg};
  auto text = fmt::format("reply of {{{}, {}}} does not fit: {}", name, node_name,
                          why != nullptr ? to_string(*why) : std::string{"no reason"});
  impl_->node_.logger().log(log_level::notice, "dist", "{}", text);
  return call_error{call_error::kind::badarg, exit_reason::error(std::move(text))};
}

void distribution::monitor_nodes(const pid& p, bool on) {
  std::lock_guard guard{impl_->mtx_};
  auto& list = impl_->node_monitors_;
  std::erase(list, p);
  if (on)
    list.push_back(p);
}

}  // namespace otp::dist::erlang
