#pragma once

// format.h, not core.h: `describe` instantiates formatters (fmt's own for string_view, which
// the library's formatters build on) whose definitions live there.
#include <fmt/format.h>

#include <string>
#include <typeinfo>

namespace otp::detail {

/// The demangled name of a type, for reports and introspection.
std::string demangle(const std::type_info& ti);

template <class T>
std::string type_name() {
  return demangle(typeid(T));
}

/// Renders a value for a report: through fmt when it is formattable, else as its type's name.
template <class T>
std::string describe(const T& x) {
  if constexpr (fmt::is_formattable<T>::value)
    return fmt::format("{}", x);
  else
    return type_name<T>();
}

}  // namespace otp::detail
