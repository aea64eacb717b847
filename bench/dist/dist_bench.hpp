#pragma once

// The distribution benchmark's client loop, shared by its two protocols (Erlang's and BASP):
// what one client process does against a remote `bench` server, and how it prints results.

#include <otp/node.hpp>

#include <cstddef>
#include <functional>

namespace dist_bench {

/// How one client reaches the remote server; every function runs in the client process.
struct driver {
  std::function<void()> call;       // one sequential call, returning when answered
  std::function<void()> cast;       // a small cast: {bump, 1}
  std::function<void()> blob;       // a 4 KiB cast: {blob, <<4096 bytes>>}
  std::function<void()> blob_call;  // a 4 KiB call: {blob, <<4096 bytes>>}
  std::function<void()> sync;       // a call that returns once every earlier cast is handled
};

struct counts {
  std::size_t calls = 20'000;
  std::size_t casts = 200'000;
  std::size_t blobs = 50'000;
};

/// Runs the measurements on `n` (`make` runs in a process first) and prints `RESULT` lines:
/// sequential calls from a process (`call_rt_per_s`, `call_p50_us`, `call_p99_us`) and from a
/// plain thread (`thread_*`), `cast_per_s`, `cast4k_per_s` (each with the sender's peak
/// resident size during the flood over its size before the first flood, `cast_peak_kib`,
/// `cast4k_peak_kib`), `call4k_rt_per_s`, 10
/// processes calling at once (`conc10_rt_per_s`), and `retained_b_per_call` (this process's
/// resident memory growth over 20k further calls, per call). Returns the process exit status for
/// main.
int run_client(otp::node& n, std::function<driver()> make, counts c);

/// Parses `N CAST_N BLOB_N` from argv[from..]; missing ones keep their defaults.
counts parse_counts(int argc, char** argv, int from);

/// Blocks the calling thread until the process is killed (the run script stops servers by pid).
[[noreturn]] void serve_forever();

int run_erlang(int argc, char** argv);  // dist_bench erl server|client ...
int run_basp(int argc, char** argv);    // dist_bench basp server|client ...

}  // namespace dist_bench
