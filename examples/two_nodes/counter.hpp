#pragma once

// The gen_server both nodes know. Requests that cross nodes are plain structs with CAF's
// `inspect`, listed in `remote_requests` and registered with `types.expose<counter>()`.

#include <otp/gen_server.hpp>

#include <caf/meta/type_name.hpp>

#include <cstdint>
#include <string>

struct bump {
  std::int32_t by = 1;
};
struct where {};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bump& x) {
  return f(caf::meta::type_name("two_nodes::bump"), x.by);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, where&) {
  return f(caf::meta::type_name("two_nodes::where"));
}

class counter {
 public:
  using remote_requests = otp::types<bump, where>;

  explicit counter(std::string node) : node_(std::move(node)) {}

  std::int32_t handle_call(const bump& b) { return total_ += b.by; }
  std::string handle_call(const where&) { return node_; }

 private:
  std::string node_;
  std::int32_t total_ = 0;
};
