#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <caf/fwd.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

namespace otp::net::detail {

/// The I/O threads of a listener: one io_context per thread, so that each descriptor is
/// polled by one thread and no reactor lock is shared between threads. They wait for
/// readiness and complete accepts, and run the process a completion made runnable
/// (`io_executor`).
class io_pool {
 public:
  io_pool(caf::actor_system& sys, std::size_t threads);
  ~io_pool();
  io_pool(const io_pool&) = delete;
  io_pool& operator=(const io_pool&) = delete;

  std::size_t size() const noexcept { return contexts_.size(); }
  boost::asio::io_context& at(std::size_t i) noexcept { return *contexts_[i % contexts_.size()]; }
  /// Round robin over the threads, for new connections.
  boost::asio::io_context& next() noexcept;

  /// The listener's `max_buffered`, across its connections.
  void limit_buffered(std::size_t max) noexcept { max_buffered_ = max; }
  bool limits_buffered() const noexcept { return max_buffered_ != SIZE_MAX; }
  /// A connection's held bytes went from `before` to `after`: true when that one should go
  /// (the total is over the limit and it holds at least its share).
  bool rebalance(std::size_t before, std::size_t after) noexcept;

 private:
  using guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<guard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
  std::size_t max_buffered_ = SIZE_MAX;
  std::atomic<std::size_t> buffered_{0};  // bytes held by all connections
  std::atomic<std::size_t> holders_{0};   // connections holding any
};

}  // namespace otp::net::detail
