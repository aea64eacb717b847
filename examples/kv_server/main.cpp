// kv_server: starts the key-value store of kv_store.hpp on a node, registers it as "kv",
// and talks to it from the main thread: calls, a cast, a deferred reply, an expiring entry.

#include "kv_store.hpp"

#include <otp/node.hpp>
#include <otp/sys.hpp>

#include <fmt/format.h>

#include <chrono>
#include <thread>

using namespace std::chrono_literals;
namespace gen_server = otp::gen_server;

int main() {
  otp::node node;
  auto kv = gen_server::start<kv::store>(node, otp::start_options{.name = "kv"}).value();
  fmt::print("started kv as {}\n", kv);

  gen_server::call(kv, kv::put{"lang", "erlang"});
  fmt::print("get lang       -> {}\n", gen_server::call(kv, kv::get{"lang"}).value_or("(none)"));

  gen_server::cast(kv, kv::erase{"lang"});
  fmt::print("after erase    -> {}\n", gen_server::call(kv, kv::get{"lang"}).value_or("(none)"));

  // A deferred reply: this thread waits in `await` until another thread puts the key.
  std::thread writer{[&] {
    std::this_thread::sleep_for(50ms);
    gen_server::call(kv, kv::put{"ready", "yes"});
  }};
  fmt::print("await ready    -> {}\n", gen_server::call(kv, kv::await{"ready"}));
  writer.join();

  // A timer: the entry expires after 100 ms, through handle_info.
  gen_server::call(kv, kv::put{"token", "abc", 100ms});
  fmt::print("token now      -> {}\n", gen_server::call(kv, kv::get{"token"}).value_or("(none)"));
  std::this_thread::sleep_for(200ms);
  fmt::print("token later    -> {}\n", gen_server::call(kv, kv::get{"token"}).value_or("(none)"));

  fmt::print("state          -> {}\n", otp::sys::get_state(kv).value());
  auto missing = gen_server::try_call(kv, kv::await{"never"}, 100ms);
  fmt::print("await never    -> {}\n", missing ? "?" : missing.error().what());
  gen_server::stop(kv).value();
  fmt::print("stopped; whereis kv -> {}\n", node.whereis("kv") ? "found" : "undefined");
}

// Sample output:
//   started kv as <0.4.0>
//   get lang       -> erlang
//   after erase    -> (none)
//   await ready    -> yes
//   token now      -> abc
//   token later    -> (none)
//   state          -> 1 entries, 1 keys awaited
//   await never    -> call failed: timeout
//   stopped; whereis kv -> undefined
