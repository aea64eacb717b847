#include "net/io_pool.hpp"

#include "net/io_executor.hpp"

#include <algorithm>

#include <pthread.h>

namespace otp::net::detail {

namespace {

/// An I/O thread's own context, when its pool was destroyed on that thread (the last
/// connection let go of it in a completion handler): the thread destroys it once `run` has
/// returned, since a context cannot be destroyed from inside its own `run`.
thread_local std::unique_ptr<boost::asio::io_context> orphaned_context;

}  // namespace

io_pool::io_pool(caf::actor_system& sys, std::size_t threads) {
  threads = std::max<std::size_t>(threads, 1);
  for (std::size_t i = 0; i < threads; ++i) {
    // Concurrency hint 1: each context is run by exactly one thread.
    contexts_.push_back(std::make_unique<boost::asio::io_context>(1));
    guards_.emplace_back(contexts_.back()->get_executor());
  }
  for (auto& ctx : contexts_)
    threads_.emplace_back([c = ctx.get(), &sys] {
      pthread_setname_np(pthread_self(), "otp.io");  // for top -H, perf and strace -f
      // No CAF logger on this thread (unlike CAF's own workers): a logging-enabled libcaf
      // then skips its per-resume bookkeeping here, a lock and a clock read per packet.
      io_executor executor{sys};
      c->run();
      orphaned_context.reset();
    });
}

io_pool::~io_pool() {
  guards_.clear();
  for (auto& ctx : contexts_)
    ctx->stop();
  for (std::size_t i = 0; i < threads_.size(); ++i) {
    if (threads_[i].get_id() == std::this_thread::get_id()) {
      // A completion handler on this thread dropped the last reference (a connection's
      // pending read wait holds its connection, which holds the pool). This thread is inside
      // its context's run(), which returns once this handler does: it destroys the context
      // then, and ends by itself.
      threads_[i].detach();
      orphaned_context = std::move(contexts_[i]);
    } else {
      threads_[i].join();
    }
  }
}

boost::asio::io_context& io_pool::next() noexcept {
  return *contexts_[next_.fetch_add(1, std::memory_order_relaxed) % contexts_.size()];
}

bool io_pool::rebalance(std::size_t before, std::size_t after) noexcept {
  if (before == 0 && after > 0)
    holders_.fetch_add(1, std::memory_order_relaxed);
  else if (before > 0 && after == 0)
    holders_.fetch_sub(1, std::memory_order_relaxed);
  auto total = buffered_.fetch_add(after - before, std::memory_order_acq_rel) + (after - before);
  if (total <= max_buffered_ || after == 0)
    return false;
  auto holders = std::max<std::size_t>(holders_.load(std::memory_order_relaxed), 1);
  return after >= total / holders;  // at least its share: alone, or among the largest
}

}  // namespace otp::net::detail
