#pragma once

#include <cstddef>
#include <new>

namespace otp::net::detail {

/// Room for a connection's one outstanding read wait, handed to Asio as the handler's
/// allocator (Asio's "custom memory allocation" hook). Without it the pending operation of
/// every idle connection is a heap block, and Asio's per-thread recycling sizes that block
/// after the thread's last, larger operation (an accept: ~280 bytes per idle connection).
/// The waiting operation's handler keeps the connection alive, so this outlives it.
class wait_memory {
 public:
  void* allocate(std::size_t n) {
    if (n <= sizeof(storage_) && !in_use_) {
      in_use_ = true;
      return storage_;
    }
    return ::operator new(n);
  }
  void deallocate(void* p) noexcept {
    if (p == static_cast<void*>(storage_))
      in_use_ = false;
    else
      ::operator delete(p);
  }

 private:
  // Boost 1.81's wait operation with our handler takes 112 bytes on x86-64; a larger one
  // (another Asio, another ABI) still works, from the heap.
  alignas(std::max_align_t) std::byte storage_[112];
  bool in_use_ = false;
};

/// The allocator Asio gets for the read wait: all rebinds share one `wait_memory`.
template <class T>
class wait_allocator {
 public:
  using value_type = T;

  explicit wait_allocator(wait_memory& m) noexcept : memory_(&m) {}
  template <class U>
  wait_allocator(const wait_allocator<U>& other) noexcept : memory_(other.memory()) {}

  T* allocate(std::size_t n) { return static_cast<T*>(memory_->allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t) noexcept { memory_->deallocate(p); }
  wait_memory* memory() const noexcept { return memory_; }

  template <class U>
  bool operator==(const wait_allocator<U>& other) const noexcept {
    return memory_ == other.memory();
  }

 private:
  wait_memory* memory_;
};

}  // namespace otp::net::detail
