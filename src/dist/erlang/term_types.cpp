#include "otp/dist/term_types.hpp"

#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace otp::dist::detail {

namespace {

struct registry {
  std::shared_mutex mtx;
  std::unordered_map<std::type_index, to_term_fn> out;
};

template <class T>
void add_builtin(std::unordered_map<std::type_index, to_term_fn>& r) {
  r.emplace(typeid(otp::detail::box<T>), [](const void* boxed) {
    return otp::to_term(static_cast<const otp::detail::box<T>*>(boxed)->value);
  });
}

registry& types() {
  static registry r{{}, [] {
                      std::unordered_map<std::type_index, to_term_fn> x;
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

}  // namespace

void add_term_type(std::type_index boxed, to_term_fn f) {
  auto& r = types();
  std::unique_lock guard{r.mtx};
  r.out.emplace(boxed, f);
}

std::optional<term> boxed_to_term(std::type_index type, const void* boxed) {
  auto& r = types();
  to_term_fn f = nullptr;
  {
    std::shared_lock guard{r.mtx};
    auto it = r.out.find(type);
    if (it == r.out.end())
      return std::nullopt;
    f = it->second;
  }
  return f(boxed);
}

}  // namespace otp::dist::detail
