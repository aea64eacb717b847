#pragma once

// The page's files (observer/page/), compiled into the library by observer/page/embed.cmake:
// the observer serves them from memory, with nothing fetched from elsewhere.

#include <optional>
#include <string_view>

namespace otp::observer::detail {

struct asset {
  std::string_view content_type;
  std::string_view body;
};

/// The file served at `path` ("/index.html", "/observer.js", ...), if any.
std::optional<asset> find_asset(std::string_view path);

}  // namespace otp::observer::detail
