#include "observer/routes.hpp"

#include "observer/actions.hpp"
#include "observer/page_assets.hpp"
#include "observer/views.hpp"

#include <fmt/format.h>

#include <charconv>
#include <optional>

namespace otp::observer::detail {

namespace {

response error(unsigned status, std::string_view why) {
  return {status, "application/json", fmt::format("{{\"error\": \"{}\"}}\n", why)};
}

/// The value of `key` in the query string (no percent-decoding: the values are numbers,
/// names and tokens).
std::string_view query_param(std::string_view target, std::string_view key) {
  auto q = target.find('?');
  if (q == std::string_view::npos)
    return {};
  auto rest = target.substr(q + 1);
  while (!rest.empty()) {
    auto amp = rest.find('&');
    auto pair = rest.substr(0, amp);
    if (auto eq = pair.find('='); eq != std::string_view::npos && pair.substr(0, eq) == key)
      return pair.substr(eq + 1);
    if (amp == std::string_view::npos)
      break;
    rest.remove_prefix(amp + 1);
  }
  return {};
}

std::string_view path_of(std::string_view target) {
  return target.substr(0, target.find('?'));
}

template <class T>
bool parse_number(std::string_view text, T& out) {
  if (text.empty())
    return true;  // keep the default
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size();
}

/// Constant time in the token's length, so a wrong guess does not say how much of it matched.
bool same_secret(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

bool authorized(const route_context& ctx, const request_view& req) {
  if (ctx.opts.token.empty())
    return true;
  constexpr std::string_view bearer = "Bearer ";
  if (req.authorization.starts_with(bearer)
      && same_secret(req.authorization.substr(bearer.size()), ctx.opts.token))
    return true;
  return same_secret(query_param(req.target, "token"), ctx.opts.token);
}

std::string_view host_name(std::string_view host) {
  if (host.starts_with('['))
    return host.substr(0, host.find(']') + 1);
  return host.substr(0, host.rfind(':'));
}

/// Bound to loopback, only loopback names: a page elsewhere that points a DNS name at
/// 127.0.0.1 (DNS rebinding) sends its own name as Host.
bool host_allowed(const route_context& ctx, const request_view& req) {
  if (!is_loopback(ctx.opts.bind))
    return true;  // the token guards it
  auto name = host_name(req.host);
  return name == "localhost" || name == "[::1]" || is_loopback(name);
}

/// A browser sends Origin on cross-origin requests (and on same-origin POSTs): it must be this
/// server itself.
bool origin_allowed(const request_view& req) {
  if (req.fetch_site == "cross-site" || req.fetch_site == "same-site")
    return false;
  if (req.origin.empty())
    return true;
  return req.origin == fmt::format("http://{}", req.host);
}

/// `is_asset`: the page's own files, which hold no data of the node, are served without the
/// token (the page then sends it, from its address, with each request of its own).
std::optional<response> check(const route_context& ctx, const request_view& req, bool is_asset) {
  if (!host_allowed(ctx, req))
    return error(403, "host not allowed");
  if (!origin_allowed(req))
    return error(403, "cross-origin request refused");
  if (!is_asset && !authorized(ctx, req))
    return error(403, "access token required");
  if (req.method == "POST" && !ctx.opts.actions)
    return error(403, "actions are off: start the observer with observer_options::actions");
  if (req.method != "GET" && req.method != "HEAD" && req.method != "POST")
    return error(405, "method not allowed");
  return std::nullopt;
}

response processes(const route_context& ctx, const request_view& req) {
  page_request page;
  auto sort = query_param(req.target, "sort");
  page.descending = sort.starts_with('-');
  if (page.descending)
    sort.remove_prefix(1);
  if (!parse_number(query_param(req.target, "offset"), page.offset)
      || !parse_number(query_param(req.target, "limit"), page.limit)
      || !parse_sort_key(sort, page.sort))
    return error(400, "bad offset, limit or sort");
  page.limit = std::min<std::size_t>(page.limit, 1000);
  return {200, "application/json", processes_json(list_processes(ctx.n, page), page)};
}

/// The id in `<0.42.0>` (also percent-encoded) or `42`.
std::optional<std::uint64_t> pid_id(std::string_view which) {
  if (which.starts_with("%3C0.") || which.starts_with("%3c0."))
    which.remove_prefix(5);
  else if (which.starts_with("<0."))
    which.remove_prefix(3);
  which = which.substr(0, which.find('.'));
  std::uint64_t id = 0;
  if (which.empty() || !parse_number(which, id))
    return std::nullopt;
  return id;
}

/// `/api/process/<pid>`: GET its details; POST `/api/process/<pid>/<action>` (kill,
/// suspend, resume), which `check` let through only with actions on.
response one_process(const route_context& ctx, std::string_view method, std::string_view rest) {
  auto slash = rest.find('/');
  auto id = pid_id(rest.substr(0, slash));
  if (!id)
    return error(400, "bad pid");
  if (method == "POST") {
    if (slash == std::string_view::npos)
      return error(404, "POST /api/process/<pid>/kill, suspend or resume");
    auto done = act(ctx.n, *id, rest.substr(slash + 1));
    return {done.status, "application/json", std::move(done.body)};
  }
  if (slash != std::string_view::npos)
    return error(405, "actions are POST requests");
  if (auto body = process_json(ctx.n, *id))
    return {200, "application/json", std::move(*body)};
  return error(404, "no such process");
}

}  // namespace

bool is_loopback(std::string_view address) {
  return address.starts_with("127.") || address == "::1" || address == "localhost";
}

response answer(const route_context& ctx, const request_view& req) {
  auto path = path_of(req.target);
  auto file = req.method == "POST" ? std::nullopt : find_asset(path == "/" ? "/index.html" : path);
  if (auto refused = check(ctx, req, file.has_value()))
    return *refused;
  if (file)
    return {200, std::string{file->content_type}, std::string{file->body}};
  if (req.method == "POST" && !path.starts_with("/api/process/"))
    return error(405, "method not allowed");
  if (path == "/metrics")
    return {200, "text/plain; version=0.0.4; charset=utf-8",
            metrics_text(ctx.n, ctx.stats, ctx.load)};
  if (path == "/api/processes")
    return processes(ctx, req);
  if (path.starts_with("/api/process/"))
    return one_process(ctx, req.method, path.substr(13));
  if (path == "/api/trees")
    return {200, "application/json", trees_json(all_trees(ctx.n))};
  if (path == "/api/node")
    return {200, "application/json", node_json(ctx.n, ctx.load)};
  if (path == "/api/events") {
    response stream;
    stream.event_stream = true;
    return stream;
  }
  return error(404, "not found");
}

}  // namespace otp::observer::detail
