#pragma once

// Memory for the shared parts of terms (a tuple or a binary: its reference count, then its
// elements or bytes, in one block) from a pool of the allocating thread, which any thread may
// give back without a lock.
//
// Why: the distribution's I/O thread decodes every incoming message and a scheduler thread
// frees it. glibc's malloc keeps a block of the size of a 4 KiB binary in the allocating
// thread's arena, so each free from the other thread took that arena's lock while the I/O
// thread allocated from it: about a fifth of the receiving node's time in a flood of 4 KiB
// casts went to that lock. Here a block freed by another thread is pushed on its owner's
// remote list (one compare-and-swap), and the owner takes the whole list back in one exchange
// when its own free list of that size runs dry (mimalloc's remote frees in small).
//
// Blocks up to 64 KiB come in size classes (four a power of two); larger ones, and blocks asked
// for while the thread ends, are plain malloc. A thread keeps at most `cached_bytes` free per
// class, the rest goes back to malloc (from the owner: no cross-thread free). A thread that ends
// leaves its pool to the next thread that starts, so blocks still out stay valid and a program
// that starts threads again and again keeps as many pools as it ever had threads at once.
// OTP_BLOCK_POOL=off in the environment turns the pool off (every block plain malloc).

#include <cstddef>

namespace otp::detail {

/// A block of at least `n` bytes, aligned for any type (16 bytes).
void* pool_allocate(std::size_t n);
/// Gives back a block of pool_allocate, from any thread.
void pool_deallocate(void* p) noexcept;

/// For std::allocate_shared: the block it asks for, with `extra` bytes behind it from the same
/// pool block, whose start is left in `*trailing` — an object and its variable-sized data
/// (a binary's bytes) in one allocation.
template <class T>
struct trailing_allocator {
  using value_type = T;
  std::size_t extra = 0;
  std::byte** trailing = nullptr;

  trailing_allocator(std::size_t extra_bytes, std::byte** where) noexcept
    : extra(extra_bytes), trailing(where) {}
  template <class U>
  trailing_allocator(const trailing_allocator<U>& other) noexcept  // NOLINT: rebinding converts
    : extra(other.extra), trailing(other.trailing) {}
  T* allocate(std::size_t n) {
    auto* p = static_cast<std::byte*>(pool_allocate(n * sizeof(T) + extra));
    *trailing = p + n * sizeof(T);
    return static_cast<T*>(static_cast<void*>(p));
  }
  void deallocate(T* p, std::size_t) noexcept { pool_deallocate(p); }
  template <class U>
  bool operator==(const trailing_allocator<U>&) const noexcept {
    return true;  // any instance frees any block
  }
};

}  // namespace otp::detail
