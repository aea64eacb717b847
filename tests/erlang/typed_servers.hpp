#pragma once

// Typed requests over Erlang's distribution, for the tests: C++ structs with CAF's inspect and
// a type name cross as Erlang records (bump{by = 10} is {bump,10}), and a counter that takes
// them from other nodes, C++ or Erlang.

#include "otp/dist/erlang.hpp"
#include "otp/from.hpp"
#include "otp/types.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace typed {

struct bump {  // {bump, By}
  std::int32_t by = 1;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bump& x) {
  return f(caf::meta::type_name("bump"), x.by);
}

struct where {};  // {where}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, where&) {
  return f(caf::meta::type_name("where"));
}

struct total {  // {total, N}: a record as a reply
  std::int32_t n = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, total& x) {
  return f(caf::meta::type_name("total"), x.n);
}

struct rename {  // {rename, Name, Tags}
  std::string name;
  std::vector<std::string> tags;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, rename& x) {
  return f(caf::meta::type_name("rename"), x.name, x.tags);
}

struct reset {  // {reset, To}
  std::int32_t to = 0;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, reset& x) {
  return f(caf::meta::type_name("reset"), x.to);
}

struct later {  // {later}: answered through from<R>, after the callback returned
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, later&) {
  return f(caf::meta::type_name("later"));
}

/// Takes typed requests only: what none of its types takes is refused.
class counter {
 public:
  using remote_requests = otp::types<bump, where, rename, reset, later>;

  std::int32_t handle_call(const bump& b) { return total_ += b.by; }
  total handle_call(const where&) { return {total_}; }
  std::string handle_call(const rename& r) {
    std::string out = r.name + ":";
    for (const auto& t : r.tags)
      out += (out.back() == ':' ? "" : ",") + t;
    return out;
  }
  otp::call_result<std::int32_t> handle_call(const later&, otp::from<std::int32_t> caller) {
    caller.reply(total_);
    return otp::noreply();
  }
  void handle_cast(const bump& b) { total_ += b.by; }
  void handle_cast(const reset& r) { total_ = r.to; }

 private:
  std::int32_t total_ = 0;
};

/// A request with bump's tag and size whose field is text: the counter refuses it.
struct bad_bump {
  std::string by;
};
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, bad_bump& x) {
  return f(caf::meta::type_name("bump"), x.by);
}

struct nope {};  // {nope}: no request type of the counter
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, nope&) {
  return f(caf::meta::type_name("nope"));
}

/// What a caller wrongly believes of the counter (never started: its calls are declarations):
/// requests it refuses, and a reply of another type than the one it sends.
class counter_misread {
 public:
  using remote_requests = otp::types<bad_bump, nope, where>;
  std::int32_t handle_call(const bad_bump&);
  std::int32_t handle_call(const nope&);
  std::string handle_call(const where&);  // the counter answers {total, N}
};

}  // namespace typed
