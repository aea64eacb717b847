// A type listed in info_types that no handle_info overload takes.
// expect: listed in this gen_server's info_types has no handle_info overload

#include <otp/gen_server.hpp>

struct tick {};
struct tock {};
struct get {};

struct ticker {
#ifdef OTP_COMPILE_FAIL
  using info_types = otp::types<tick, tock>;
#else
  using info_types = otp::types<tick>;
#endif
  int n = 0;
  int handle_call(const get&) { return n; }
  void handle_info(const tick&) { ++n; }
  void handle_info(const otp::down&) {}
};

int main() {
  otp::node node;
  (void)otp::gen_server::start<ticker>(node);
}
