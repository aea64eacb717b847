// A gen_server whose only handle_info takes a type it does not list in info_types: the message
// would never reach it, so the server does not compile.
// expect: handle_info takes a type that is not listed in its info_types

#include <otp/gen_server.hpp>

struct tick {};
struct get {};

struct ticker {
#ifndef OTP_COMPILE_FAIL
  using info_types = otp::types<tick>;
#endif
  int n = 0;
  int handle_call(const get&) { return n; }
  void handle_info(const tick&) { ++n; }
};

int main() {
  otp::node node;
  (void)otp::gen_server::start<ticker>(node);
}
