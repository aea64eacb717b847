#include "otp/term/atom.hpp"

#include <stdexcept>

namespace otp {

atom::atom(std::string_view utf8) : name_(utf8) {
  auto n = utf8_length(utf8);
  if (n < 0)
    throw std::invalid_argument("otp::atom: not UTF-8");
  if (n > 255)
    throw std::invalid_argument("otp::atom: longer than 255 characters");
}

}  // namespace otp
