// otp::send and otp::send_after to a server_ref<S> of a message S cannot take in handle_info.
// expect: this gen_server cannot take the message in handle_info

#include <otp/gen_server.hpp>
#include <otp/process.hpp>

#include <chrono>
#include <string>

struct tick {};
struct get {};

struct ticker {
  using info_types = otp::types<tick>;
  int n = 0;
  int handle_call(const get&) { return n; }
  void handle_info(const tick&) { ++n; }
};

int main() {
  otp::node node;
  auto t = otp::gen_server::start<ticker>(node).value();
  otp::send(t, tick{});
  otp::send_after(std::chrono::seconds{1}, t, tick{});
  otp::send(otp::pid{t}, std::string{"logged as unexpected, but compiles"});
#ifdef OTP_COMPILE_FAIL
  otp::send(t, std::string{"stray"});
#endif
}
