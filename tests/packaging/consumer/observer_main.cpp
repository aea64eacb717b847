// A downstream program built against caf_otp::observer (installed, or from the source): it
// starts the observer on a node, on an ephemeral port, and prints its address.

#include <otp/observer.hpp>

#include <fmt/format.h>

int main() {
  otp::node node;
  auto observer = otp::observer::start(node, {.port = 0});
  if (!observer) {
    fmt::print("observer did not start\n");
    return 1;
  }
  fmt::print("observer at {}\n", observer->url());
  return observer->port() != 0 ? 0 : 1;
}
