// The translation unit bench/compile_time.sh measures: a minimal gen_server as a user writes
// one (a call, a cast, a start), nothing else included.

#include <otp/gen_server.hpp>

struct get {};
struct add {
  int n;
};

struct counter {
  int n = 0;
  int handle_call(const get&) { return n; }
  void handle_cast(const add& a) { n += a.n; }
};

int run(otp::node& node) {
  auto c = otp::gen_server::start<counter>(node).value();
  otp::gen_server::cast(c, add{2});
  return otp::gen_server::call(c, get{});
}
