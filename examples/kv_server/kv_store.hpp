// A key-value store as a gen_server: calls (put, get), a cast (erase), a deferred reply
// (await: answered when the key appears), and timers delivered to handle_info (expiry).
#pragma once

#include <otp/gen_server.hpp>
#include <otp/process.hpp>

#include <fmt/format.h>

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kv {

// -- the protocol ----------------------------------------------------------------------------

struct put {
  std::string key;
  std::string value;
  otp::timeout ttl = otp::infinity;  // the entry expires after ttl
};
struct get {
  std::string key;
};
struct erase {
  std::string key;
};
struct await {  // replies with the value once the key exists
  std::string key;
};
struct expire {  // our own timer message
  std::string key;
  unsigned version;
};

// -- the server ------------------------------------------------------------------------------

class store {
 public:
  using info_types = otp::types<expire>;

  bool handle_call(const put& p) {
    auto& e = entries_[p.key];
    e.value = p.value;
    ++e.version;
    if (p.ttl != otp::infinity)
      otp::send_after(p.ttl, expire{p.key, e.version});
    for (auto& waiter : waiters_[p.key])
      waiter.reply(p.value);
    waiters_.erase(p.key);
    return true;
  }

  std::optional<std::string> handle_call(const get& g) {
    if (auto i = entries_.find(g.key); i != entries_.end())
      return i->second.value;
    return std::nullopt;
  }

  otp::call_result<std::string> handle_call(const await& a, otp::from<std::string> caller) {
    if (auto i = entries_.find(a.key); i != entries_.end())
      return i->second.value;
    waiters_[a.key].push_back(caller);
    return otp::noreply();
  }

  void handle_cast(const erase& e) { entries_.erase(e.key); }

  void handle_info(const expire& x) {
    // An entry rewritten since the timer started keeps its newer lifetime.
    if (auto i = entries_.find(x.key); i != entries_.end() && i->second.version == x.version)
      entries_.erase(i);
  }

  std::string format_state() const {
    return fmt::format("{} entries, {} keys awaited", entries_.size(), waiters_.size());
  }

 private:
  struct entry {
    std::string value;
    unsigned version = 0;
  };
  std::map<std::string, entry> entries_;
  std::map<std::string, std::vector<otp::from<std::string>>> waiters_;
};

}  // namespace kv
