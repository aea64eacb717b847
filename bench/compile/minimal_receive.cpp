// A translation unit bench/compile_time.sh measures (--tu minimal_receive): a selective receive
// with a guard and an after clause, only <otp/receive.hpp> included.

#include <otp/receive.hpp>

struct job {
  int urgency;
};

int next_urgent() {
  return otp::receive(
    otp::when([](const job& j) { return j.urgency > 5; }, [](const job& j) { return j.urgency; }),
    otp::after(otp::timeout{100}, [] { return 0; }));
}
