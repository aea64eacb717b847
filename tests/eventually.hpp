#pragma once

// Bounded polling for the multi-threaded and multi-process tests (socket server,
// distribution), where there is no virtual time to advance.

#include <chrono>
#include <thread>

namespace test_util {

/// Polls `pred` every millisecond until it holds or `t` passed; the last answer counts.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds t = std::chrono::milliseconds{5000}) {
  auto deadline = std::chrono::steady_clock::now() + t;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{1});
  }
  return pred();
}

}  // namespace test_util
