#include "otp/supervision_tree.hpp"

#include "runtime/json_string.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string_view>
#include <unordered_set>
#include <utility>

namespace otp {

// -- walking the tree: returns a snapshot -----------------------------------------------------

namespace {

/// Fills in `self`'s flags and children. A supervisor that died since its parent listed it
/// (or is not a caf-otp supervisor) keeps no flags and no children.
expected<void, sup_error> descend(const sup_ref& sup, tree_node& self) {
  auto flags = supervisor::get_flags(sup);
  if (!flags)
    return unexpected{std::move(flags.error())};
  auto children = supervisor::which_children(sup);
  if (!children)
    return unexpected{std::move(children.error())};
  // which_children lists static children newest first, as OTP does; a tree reads top-down
  // in start order.
  if (flags->strategy != strategy::simple_one_for_one)
    std::reverse(children->begin(), children->end());
  self.flags = *flags;
  self.children.reserve(children->size());
  for (auto& c : *children) {
    tree_node child{.id = std::move(c.id),
                    .pid = c.pid,
                    .type = c.type,
                    .state = c.state,
                    .restart = c.restart,
                    .restarts = c.restarts,
                    .module = std::move(c.module),
                    .flags = std::nullopt,
                    .children = {}};
    if (child.type == child_type::supervisor && child.state == child_info::status::running)
      (void)descend(sup_ref{child.pid}, child);
    self.children.push_back(std::move(child));
  }
  return {};
}

}  // namespace

expected<tree_node, sup_error> supervision_tree(const sup_ref& root, std::string root_id) {
  tree_node tree{.id = std::move(root_id), .pid = root, .type = child_type::supervisor};
  if (auto r = descend(root, tree); !r)
    return unexpected{std::move(r.error())};
  tree.module = fmt::format("supervisor({})", tree.flags->strategy);
  return tree;
}

// -- text: returns one aligned line per process -----------------------------------------------

namespace {

namespace ansi {
constexpr std::string_view reset = "\x1b[0m";
constexpr std::string_view bold = "\x1b[1m";
constexpr std::string_view dim = "\x1b[2m";
constexpr std::string_view red = "\x1b[31m";
constexpr std::string_view green = "\x1b[32m";
constexpr std::string_view yellow = "\x1b[33m";
constexpr std::string_view cyan = "\x1b[36m";
constexpr std::string_view bold_yellow = "\x1b[1;33m";
}  // namespace ansi

/// A cell of the drawing: its text and the colour it gets when colours are on; `branches`
/// (the tree column's box characters) are drawn dim before it.
struct cell {
  std::string text;
  std::string_view style = {};
  std::string branches = {};
};

enum column {
  tree_col,
  kind_col,
  pid_col,
  restart_col,
  restarts_col,
  strategy_col,
  state_col,
  columns
};

using row = std::array<cell, columns>;

/// Display width: code points, so that box characters and UTF-8 ids count as one column.
std::size_t width(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
    s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::size_t width(const cell& x) {
  return width(x.branches) + width(x.text);
}

std::string period_text(timeout period) {
  auto ms = period.count();
  return ms % 1000 == 0 ? fmt::format("{}s", ms / 1000) : fmt::format("{}ms", ms);
}

std::string strategy_text(const sup_flags& f) {
  return fmt::format("{} {}/{}", f.strategy, f.intensity, period_text(f.period));
}

/// An id as one line of the drawing: control characters become `?`.
std::string printable(std::string_view s) {
  std::string out{s};
  std::replace_if(
    out.begin(), out.end(), [](char c) { return static_cast<unsigned char>(c) < 0x20; }, '?');
  return out;
}

std::string restarts_text(unsigned n) {
  return fmt::format("{} restart{}", n, n == 1 ? "" : "s");
}

struct text_renderer {
  bool color;
  const std::unordered_set<std::uint64_t>* known;  // pids of `before`; null: mark nothing
  std::vector<row> rows = {};

  void add(const tree_node& n, const std::string& prefix, std::string_view branch, bool root) {
    bool sup = n.type == child_type::supervisor;
    bool fresh = known && n.pid && !known->contains(n.pid.id());
    row r;
    r[tree_col] = {printable(n.id.empty() ? n.module : n.id), sup ? ansi::bold : std::string_view{},
                   prefix + std::string{branch}};
    r[kind_col] = {std::string{to_string(n.type)}, ansi::dim};
    r[pid_col] = {fmt::format("{}{}", n.pid, fresh ? "*" : ""),
                  fresh ? ansi::bold_yellow : ansi::cyan};
    if (!root) {
      r[restart_col] = {std::string{to_string(n.restart)}, ansi::dim};
      r[restarts_col] = {restarts_text(n.restarts), n.restarts == 0 ? ansi::dim : ansi::yellow};
    }
    if (n.flags)
      r[strategy_col] = {strategy_text(*n.flags)};
    r[state_col] = {std::string{to_string(n.state)},
                    n.state == child_info::status::running ? ansi::green : ansi::red};
    rows.push_back(std::move(r));
    auto below = root ? std::string{} : prefix + (branch == "└─ " ? "   " : "│  ");
    for (std::size_t i = 0; i < n.children.size(); ++i)
      add(n.children[i], below, i + 1 == n.children.size() ? "└─ " : "├─ ", false);
  }

  std::string render() const {
    std::array<std::size_t, columns> widths{};
    for (const auto& r : rows)
      for (std::size_t c = 0; c < columns; ++c)
        widths[c] = std::max(widths[c], width(r[c]));
    std::string out;
    for (const auto& r : rows) {
      std::string line;
      for (std::size_t c = 0; c < columns; ++c) {
        if (widths[c] == 0)
          continue;  // a column no row uses (no supervisor below the root, say)
        if (c > 0)
          line += "  ";
        append(line, r[c]);
        line.append(widths[c] - width(r[c]), ' ');
      }
      line.erase(line.find_last_not_of(' ') + 1);
      out += line;
      out += '\n';
    }
    return out;
  }

  void append(std::string& line, const cell& x) const {
    auto styled = [&](std::string_view text, std::string_view style) {
      if (!color || style.empty() || text.empty())
        line += text;
      else
        fmt::format_to(std::back_inserter(line), "{}{}{}", style, text, ansi::reset);
    };
    styled(x.branches, ansi::dim);
    styled(x.text, x.style);
  }
};

void collect_pids(const tree_node& n, std::unordered_set<std::uint64_t>& out) {
  if (n.pid)
    out.insert(n.pid.id());
  for (const auto& c : n.children)
    collect_pids(c, out);
}

}  // namespace

std::string to_text(const tree_node& tree, bool color) {
  text_renderer r{color, nullptr, {}};
  r.add(tree, "", "", true);
  return r.render();
}

std::string to_text(const tree_node& tree, const tree_node& before, bool color) {
  std::unordered_set<std::uint64_t> known;
  collect_pids(before, known);
  text_renderer r{color, &known, {}};
  r.add(tree, "", "", true);
  return r.render();
}

// -- JSON: returns one object per process, children nested ------------------------------------

void detail::json_string(std::string& out, std::string_view s) {
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      switch (c) {
        case '"':
          out += "\\\"";
          break;
        case '\\':
          out += "\\\\";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        default:
          if (c < 0x20)
            fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
          else
            out += static_cast<char>(c);
      }
      ++i;
      continue;
    }
    // A multi-byte sequence: its length from the lead byte, then check the continuation bytes,
    // overlong forms, surrogates and the U+10FFFF limit.
    std::size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c <= 0xDF ? 2 : 0;
    if (c >= 0xF5)
      n = 0;
    bool valid = n > 0 && i + n <= s.size();
    for (std::size_t k = 1; valid && k < n; ++k)
      valid = (static_cast<unsigned char>(s[i + k]) & 0xC0) == 0x80;
    if (valid && n >= 3) {
      auto c1 = static_cast<unsigned char>(s[i + 1]);
      valid = !(c == 0xE0 && c1 < 0xA0) && !(c == 0xED && c1 >= 0xA0) && !(c == 0xF0 && c1 < 0x90)
              && !(c == 0xF4 && c1 >= 0x90);
    }
    if (!valid) {
      out += "\\ufffd";
      ++i;
      continue;
    }
    out.append(s.substr(i, n));
    i += n;
  }
  out += '"';
}

namespace {

using detail::json_string;

void json_node(std::string& out, const tree_node& n, std::size_t depth) {
  out.append(depth * 2, ' ');
  out += "{\"id\": ";
  json_string(out, n.id);
  out += ", \"pid\": ";
  if (n.pid)
    json_string(out, fmt::format("{}", n.pid));
  else
    out += "null";
  fmt::format_to(std::back_inserter(out),
                 ", \"type\": \"{}\", \"state\": \"{}\", \"restart\": \"{}\", \"restarts\": {}, "
                 "\"module\": ",
                 n.type, n.state, n.restart, n.restarts);
  json_string(out, n.module);
  if (n.flags)
    fmt::format_to(std::back_inserter(out),
                   ", \"flags\": {{\"strategy\": \"{}\", \"intensity\": {}, \"period_ms\": {}, "
                   "\"auto_shutdown\": \"{}\"}}",
                   n.flags->strategy, n.flags->intensity, n.flags->period.count(),
                   n.flags->auto_shutdown);
  if (n.children.empty()) {
    out += ", \"children\": []}";
    return;
  }
  out += ", \"children\": [\n";
  for (std::size_t i = 0; i < n.children.size(); ++i) {
    json_node(out, n.children[i], depth + 1);
    out += i + 1 < n.children.size() ? ",\n" : "\n";
  }
  out.append(depth * 2, ' ');
  out += "]}";
}

}  // namespace

std::string to_json(const tree_node& tree) {
  std::string out;
  json_node(out, tree, 0);
  out += '\n';
  return out;
}

// -- DOT: returns a Graphviz digraph ----------------------------------------------------------

namespace {

/// `s` inside a DOT double-quoted label: `"` and `\` escaped (a lone `\` would start one of
/// Graphviz's escapes, `\N`, `\G`...), control characters as spaces.
std::string dot_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\';
    out += static_cast<unsigned char>(c) < 0x20 ? ' ' : c;
  }
  return out;
}

void dot_node(std::string& out, const tree_node& n, std::size_t& counter,
              std::optional<std::size_t> parent) {
  auto me = counter++;
  std::vector<std::string> lines{dot_escape(n.id.empty() ? n.module : n.id),
                                 fmt::format("{}", n.pid)};
  if (n.flags)
    lines.push_back(strategy_text(*n.flags));
  if (n.restarts > 0)
    lines.push_back(restarts_text(n.restarts));
  if (n.state != child_info::status::running)
    lines.push_back(std::string{to_string(n.state)});
  fmt::format_to(std::back_inserter(out), "  n{} [shape={}, label=\"{}\"{}];\n", me,
                 n.type == child_type::supervisor ? "box" : "ellipse", fmt::join(lines, "\\n"),
                 n.state == child_info::status::running ? "" : ", style=dashed, color=red");
  if (parent)
    fmt::format_to(std::back_inserter(out), "  n{} -> n{};\n", *parent, me);
  for (const auto& c : n.children)
    dot_node(out, c, counter, me);
}

}  // namespace

std::string to_dot(const tree_node& tree) {
  std::string out = "digraph supervision_tree {\n  node [fontname=\"Helvetica\"];\n";
  std::size_t counter = 0;
  dot_node(out, tree, counter, std::nullopt);
  out += "}\n";
  return out;
}

}  // namespace otp
