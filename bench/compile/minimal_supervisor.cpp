// A translation unit bench/compile_time.sh measures (--tu minimal_supervisor): a supervisor of
// two gen_servers, as a user writes one, nothing else included.

#include <otp/supervisor.hpp>

struct get {};

struct counter {
  int n = 0;
  int handle_call(const get&) { return n; }
};

struct app_sup {
  otp::sup_spec init() {
    return {{.strategy = otp::strategy::one_for_one},
            {{.id = "a", .start = otp::start_with<counter>()},
             {.id = "b", .start = otp::start_with<counter>()}}};
  }
};

bool run(otp::node& node) {
  auto sup = otp::supervisor::start_link<app_sup>(node);
  return sup && otp::supervisor::which_children(*sup)->size() == 2;
}
