#pragma once

// Talking to epmd on the distribution's I/O thread, without waiting on it: the registration
// that lives as long as its connection, and the lookup of another node's port.

#include "dist/erlang/epmd.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace otp::dist::erlang {

/// Our name's registration with the local epmd (ALIVE2_REQ): epmd keeps the name while this
/// connection stays open, so it is kept until `close()`.
class epmd_registration : public std::enable_shared_from_this<epmd_registration> {
 public:
  using tcp = boost::asio::ip::tcp;
  /// The creation epmd gave us, or why it did not.
  using done_fn = std::function<void(expected<std::uint32_t, dist_error>)>;

  explicit epmd_registration(boost::asio::io_context& io);
  void start(const tcp::endpoint& epmd, std::string alive, std::uint16_t port,
             std::chrono::milliseconds limit, done_fn done);
  void close();

 private:
  void read_answer();
  void finish(expected<std::uint32_t, dist_error> result);

  tcp::socket socket_;
  boost::asio::steady_timer timer_;
  std::vector<std::uint8_t> request_;
  std::vector<std::uint8_t> answer_;
  std::array<std::uint8_t, 16> chunk_{};
  done_fn done_;
};

/// PORT_PLEASE2_REQ to the epmd on `host`: the port `alive` listens on there.
void epmd_lookup(boost::asio::io_context& io, const std::string& host, std::uint16_t epmd_port,
                 const std::string& alive, std::chrono::milliseconds limit,
                 std::function<void(expected<epmd::node_entry, dist_error>)> done);

}  // namespace otp::dist::erlang
