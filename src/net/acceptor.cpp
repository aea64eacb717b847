#include "net/acceptor.hpp"

#include "runtime/cloexec.hpp"

#include "supervision/adopt_child.hpp"

#include "net/connections_sup.hpp"
#include "net/listener_owner.hpp"
#include "otp/gen_server.hpp"
#include "otp/logger.hpp"
#include "otp/node.hpp"
#include "process/process_core.hpp"
#include "process/server_core.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <caf/actor_cast.hpp>
#include <caf/send.hpp>

namespace otp::net::detail {

namespace asio = boost::asio;
using otp::detail::process_core;

acceptor::acceptor(std::shared_ptr<listener_shared> shared, std::size_t slot)
  : task_(std::make_shared<accept_task>(std::move(shared), slot)) {}

void acceptor::init() {
  task_->arm(*process_core::current());
}

void accept_task::arm(process_core& self) {
  if (armed_ || parked_)
    return;
  auto& sockets = shared_->sockets;
  auto& listen = *sockets[slot_ % sockets.size()];
  // Connections are spread over the I/O threads by acceptor slot.
  auto& peer_io = shared_->io->at(slot_);
  result_ = std::make_shared<accept_slot>();
  armed_ = listen.async_accept(
    peer_io, [slot = result_, task = weak_from_this(), owner = self.address()](
               const boost::system::error_code& error, stream_socket peer) mutable {
      slot->error = error;
      if (!error) {
        otp::detail::set_cloexec(peer.native_handle());
        slot->socket.emplace(std::move(peer));
      }
      notify(owner, task.lock(), accepted);
    });
}

void accept_task::release(process_core& self) {
  parked_ = false;
  arm(self);
}

void accept_task::run(process_core& self, std::uint32_t event) {
  if (event == rearm) {
    arm(self);
    return;
  }
  armed_ = false;
  auto slot = std::move(result_);
  if (!slot)
    return;
  if (slot->error == asio::error::operation_aborted) {
    // The listen socket was closed (suspend, stop). If it was reopened meanwhile, the
    // listener's rearm may have come first: arm now.
    auto& listen = *shared_->sockets[slot_ % shared_->sockets.size()];
    if (listen.is_open())
      arm(self);
    return;
  }
  if (slot->error || !slot->socket) {
    back_off(self, slot->error);
    return;
  }
  backoff_.succeeded();
  hand_over(self, std::move(*slot->socket));
}

void accept_task::back_off(process_core& self, const boost::system::error_code& error) {
  // Wait (accept_backoff: EMFILE would spin), and say so once per episode.
  shared_->accept_errors.fetch_add(1, std::memory_order_relaxed);
  bool first = !backoff_.backing_off();
  auto delay = backoff_.failed();
  if (first)
    self.home().logger().log(log_level::warning, "net_error",
                             "acceptor {}: accept failed: {}; retrying with back-off",
                             self.display_name(), error.message());
  caf::delayed_anon_send(caf::actor_cast<caf::actor>(self.address()), delay,
                         otp::detail::task_ref{weak_from_this(), rearm});
}

void accept_task::hand_over(process_core& self, stream_socket peer) {
  parked_ = true;
  // The owner first: it counts the connection and re-arms this acceptor while the handler
  // starts (the re-arm runs after this turn).
  gen_server::cast(server_ref<listener_owner>{owner_},
                   listener_owner::accepted{self.pid_of_self()});
  if (shared_->options.nodelay && !shared_->options.address.is_local()) {
    boost::system::error_code ignored;
    peer.set_option(asio::ip::tcp::no_delay(true), ignored);
  }
  auto conn = std::make_shared<connection>(shared_->io, std::move(peer), shared_->connection);
  // Here, not in the connections' supervisor: one process starting every connection's handler
  // was a hop per connection that halved the connection rate. A handler that fails to start
  // (its init stopped, threw or ignored) drops the socket, which closes it. So does a kill of
  // this acceptor while the handler's init waits (the kill unwinds this stack): either way the
  // owner counted a connection that is not there.
  bool adopted = false;
  struct count_out {
    const otp::pid& owner;
    const bool& adopted;
    ~count_out() {
      if (!adopted)
        gen_server::cast(server_ref<listener_owner>{owner}, listener_owner::failed_start{});
    }
  } guard{owner_, adopted};
  auto started = (*shared_->handler)(socket{std::move(conn)}, connections_);
  if (started && *started) {
    otp::detail::adopt_child(connections_, *started);
    adopted = true;
  }
}

// -- shared tasks ----------------------------------------------------------------------------

namespace {

acceptor* as_acceptor(process_core& self) {
  auto* server = otp::detail::server_core::of(&self);
  auto* callbacks = server ? server->callbacks() : nullptr;
  if (!callbacks || callbacks->tag() != &otp::detail::server_tag<acceptor>)
    return nullptr;
  return static_cast<acceptor*>(callbacks->state());
}

class rearm_impl final : public otp::detail::process_task {
 public:
  void run(process_core& self, std::uint32_t event) override {
    auto* a = as_acceptor(self);
    if (a == nullptr)
      return;
    if (event == release_parked)
      a->release(self);
    else
      a->rearm(self);
  }
};

class draining_impl final : public otp::detail::process_task {
 public:
  explicit draining_impl(const handler_table* table) : table_(table) {}
  void run(process_core& self, std::uint32_t) override {
    net::draining msg;
    table_->draining(self, msg);
  }

 private:
  const handler_table* table_;
};

}  // namespace

std::shared_ptr<otp::detail::process_task> rearm_task() {
  static const auto task = std::make_shared<rearm_impl>();
  return task;
}

std::shared_ptr<otp::detail::process_task> make_draining_task(const handler_table* table) {
  return std::make_shared<draining_impl>(table);
}

}  // namespace otp::net::detail
