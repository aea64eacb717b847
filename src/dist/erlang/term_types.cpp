#include "otp/dist/term_types.hpp"

#include "otp/detail/type_name.hpp"

#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace otp::dist::detail {

namespace {

/// Both ways of one type: to a term (a message to a process of an Erlang node) and back (the
/// reply of a call through such a pid).
struct conversions {
  to_term_fn out = nullptr;
  from_term_fn back = nullptr;
};

using table = std::unordered_map<std::type_index, conversions>;

struct registry {
  std::shared_mutex mtx;
  table types;
};

template <class T>
void add_builtin(table& r) {
  r.emplace(
    typeid(otp::detail::box<T>),
    conversions{[](const void* boxed) {
                  return otp::to_term(static_cast<const otp::detail::box<T>*>(boxed)->value);
                },
                &reply_from_term<T>});
}

registry& types() {
  static registry r{{}, [] {
                      table x;
                      add_builtin<term>(x);
                      add_builtin<atom>(x);
                      add_builtin<std::string>(x);
                      add_builtin<int>(x);
                      add_builtin<long>(x);
                      add_builtin<long long>(x);
                      add_builtin<unsigned>(x);
                      add_builtin<unsigned long>(x);
                      add_builtin<unsigned long long>(x);
                      add_builtin<double>(x);
                      add_builtin<bool>(x);
                      add_builtin<erlang_pid>(x);
                      add_builtin<erlang_ref>(x);
                      return x;
                    }()};
  return r;
}

/// What is registered for `type`, if anything.
std::optional<conversions> find(std::type_index type) {
  auto& r = types();
  std::shared_lock guard{r.mtx};
  auto it = r.types.find(type);
  if (it == r.types.end())
    return std::nullopt;
  return it->second;
}

}  // namespace

void add_term_type(std::type_index boxed, to_term_fn f, from_term_fn from) {
  auto& r = types();
  std::unique_lock guard{r.mtx};
  r.types.emplace(boxed, conversions{f, from});
}

std::optional<term> boxed_to_term(std::type_index type, const void* boxed) {
  auto c = find(type);
  if (!c)
    return std::nullopt;
  return c->out(boxed);
}

bool has_from_term(const std::type_info& type) {
  auto c = find(type);
  return c && c->back != nullptr;
}

expected<otp::detail::message_ref, std::string> boxed_from_term(const std::type_info& type,
                                                                const term& t) {
  auto c = find(type);
  if (!c || c->back == nullptr)
    return unexpected{otp::detail::demangle(type)
                      + " has no way back from a term (otp::dist::add_term_type)"};
  return c->back(t);
}

}  // namespace otp::dist::detail
