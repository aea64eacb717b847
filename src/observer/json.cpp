#include "observer/json.hpp"

namespace otp::observer::detail {

void append_label_value(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  out += '"';
}

}  // namespace otp::observer::detail
