#pragma once

#include <string>
#include <string_view>

namespace otp::detail {

/// Appends `s` as a JSON string: quotes, backslashes and control characters escaped, invalid
/// UTF-8 replaced by U+FFFD so that the document stays valid (supervision_tree's JSON, the
/// observer's API).
void json_string(std::string& out, std::string_view s);

}  // namespace otp::detail
