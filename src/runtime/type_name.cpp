#include "otp/detail/type_name.hpp"

#include <cxxabi.h>

#include <cstdlib>
#include <memory>

namespace otp::detail {

std::string demangle(const std::type_info& ti) {
  int status = 0;
  std::unique_ptr<char, decltype(&std::free)> name{
    abi::__cxa_demangle(ti.name(), nullptr, nullptr, &status), &std::free};
  return status == 0 && name ? std::string{name.get()} : std::string{ti.name()};
}

}  // namespace otp::detail
