// hello: the README's ten-line example — a counter server, one cast and one call.

#include <otp/gen_server.hpp>

#include <fmt/format.h>

struct get {};
struct add {
  int n;
};

struct counter {
  int n = 0;
  int handle_call(const get&) { return n; }     // gen_server:call -> reply
  void handle_cast(const add& a) { n += a.n; }  // gen_server:cast
};

int main() {
  otp::node node;
  auto c = otp::gen_server::start<counter>(node, otp::start_options{.name = "counter"}).value();
  otp::gen_server::cast(c, add{2});
  fmt::print("{} holds {}\n", c, otp::gen_server::call(c, get{}));
}

// Sample output:
//   <0.4.0> holds 2
