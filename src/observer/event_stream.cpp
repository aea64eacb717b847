#include "observer/event_stream.hpp"

#include "observer/views.hpp"

#include "runtime/node_access.hpp"

#include <algorithm>

namespace otp::observer::detail {

namespace {

constexpr unsigned ticks_per_figures = 4;  // figures once a second
constexpr unsigned ticks_per_walk = roots_period / tree_period;

}  // namespace

std::string sse_event(std::string_view name, std::string_view json) {
  std::string out = "event: ";
  out += name;
  out += '\n';
  while (!json.empty()) {
    auto eol = json.find('\n');
    auto line = json.substr(0, eol);
    if (!line.empty()) {
      out += "data: ";
      out += line;
      out += '\n';
    }
    if (eol == std::string_view::npos)
      break;
    json.remove_prefix(eol + 1);
  }
  out += '\n';
  return out;
}

event_hub::event_hub(boost::asio::io_context& io, const route_context& ctx)
  : ctx_(ctx), timer_(io) {}

void event_hub::subscribe(std::shared_ptr<event_sink> sink) {
  if (!trees_ || !running_) {
    taken_at_ = walked_at_ = otp::detail::node_access::process_changes(ctx_.n);
    trees_ = std::make_shared<const std::string>(take_trees(true));
  }
  auto figures =
    std::make_shared<const std::string>(sse_event("node", node_json(ctx_.n, ctx_.load)));
  if (!sink->push(trees_) || !sink->push(figures))
    return;
  sinks_.push_back(std::move(sink));
  if (!running_) {
    running_ = true;
    tick();
  }
}

void event_hub::close() {
  sinks_.clear();
  running_ = false;
  timer_.cancel();
}

void event_hub::broadcast(const std::shared_ptr<const std::string>& event) {
  std::erase_if(sinks_, [&](const std::shared_ptr<event_sink>& s) { return !s->push(event); });
}

std::string event_hub::take_trees(bool walk) {
  std::optional<std::vector<tree_node>> trees;
  if (!walk)
    trees = trees_under(roots_);
  if (!trees)
    trees = all_trees(ctx_.n);
  roots_ = *trees;
  for (auto& root : roots_)
    root.children.clear();
  return sse_event("trees", trees_json(*trees));
}

void event_hub::tick() {
  timer_.expires_after(tree_period);
  timer_.async_wait([this](boost::system::error_code ec) {
    if (ec || !running_)
      return;
    // Read before the trees are taken: a change meanwhile is taken again next tick.
    auto changes = otp::detail::node_access::process_changes(ctx_.n);
    auto due = ++ticks_ % ticks_per_walk == 0;
    if (changes != taken_at_ || due) {
      auto walk = due && changes != walked_at_;
      taken_at_ = changes;
      if (walk)
        walked_at_ = changes;
      auto trees = take_trees(walk);
      if (*trees_ != trees) {
        trees_ = std::make_shared<const std::string>(std::move(trees));
        broadcast(trees_);
      }
    }
    if (ticks_ % ticks_per_figures == 0)
      broadcast(
        std::make_shared<const std::string>(sse_event("node", node_json(ctx_.n, ctx_.load))));
    if (sinks_.empty()) {
      running_ = false;  // nobody listens: no more walks until the next page opens
      return;
    }
    tick();
  });
}

}  // namespace otp::observer::detail
