#pragma once

// What the observer answers to a request, without the transport: the checks (token, host,
// origin, method) then the endpoint. The HTTP server (http_server.cpp) parses and writes.

#include "observer/scheduler_load.hpp"
#include "otp/observer/observer.hpp"

#include "otp/observer/restart_stats.hpp"

#include <string>
#include <string_view>

namespace otp::observer::detail {

struct request_view {
  std::string_view method;
  std::string_view target;  ///< path and query
  std::string_view host;
  std::string_view origin;
  std::string_view authorization;
  std::string_view fetch_site;  ///< Sec-Fetch-Site
};

struct response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  /// `/api/events`, allowed: the server keeps the connection open and streams server-sent
  /// events on it (http_server.cpp) instead of writing `body`.
  bool event_stream = false;
};

struct route_context {
  node& n;
  const restart_stats& stats;
  scheduler_load& load;  // the observer's thread alone uses it
  const observer_options& opts;
  std::uint16_t port;
};

response answer(const route_context& ctx, const request_view& req);

/// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback(std::string_view address);

}  // namespace otp::observer::detail
