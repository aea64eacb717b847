#include <iostream>
#include <otp/version.hpp>

int main() {
  std::cout << otp::version() << '\n';
  return 0;
}
