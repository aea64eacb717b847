// Ensure that supervision_tree walks nested supervisors (static and simple_one_for_one) into a
// faithful snapshot, and that its text, JSON and DOT renderings say the same thing, escaped.

#include "sup_fixtures.hpp"

#include <otp/supervision_tree.hpp>

#include <cctype>
#include <sstream>

using namespace sup_fixtures;
using namespace std::chrono_literals;
namespace supervisor = otp::supervisor;
namespace gen_server = otp::gen_server;
using status = otp::child_info::status;

namespace {

/// top (one_for_one): w; group (one_for_all): a, b; pool (simple_one_for_one): 3 children.
otp::sup_ref start_tree(otp::test::kit& kit, journal j) {
  auto top = supervisor::start_link(
               kit.node(), {.intensity = 5},
               {worker_spec("w", j),
                {.id = "group",
                 .start = supervisor::start_with({.strategy = otp::strategy::one_for_all},
                                                 {worker_spec("a", j), worker_spec("b", j)}),
                 .type = otp::child_type::supervisor},
                {.id = "pool",
                 .start = supervisor::start_with(
                   {.strategy = otp::strategy::simple_one_for_one, .intensity = 3, .period = 10s},
                   {{.id = "p", .start = otp::start_with<worker, int>(std::string{"p"}, j)}}),
                 .type = otp::child_type::supervisor}})
               .value();
  auto pool = otp::sup_ref{child_pid(top, "pool")};
  for (int i = 1; i <= 3; ++i)
    REQUIRE(supervisor::start_child(pool, i));
  return top;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in{text};
  for (std::string line; std::getline(in, line);)
    out.push_back(line);
  return out;
}

/// A strict little JSON checker (RFC 8259 grammar; strings must not hold raw control bytes).
class json_checker {
 public:
  static bool valid(std::string_view s) {
    json_checker c{s};
    return c.value() && (c.ws(), c.i_ == s.size());
  }

 private:
  explicit json_checker(std::string_view s) : s_(s) {}
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\n' || s_[i_] == '\t' || s_[i_] == '\r'))
      ++i_;
  }
  bool eat(char c) {
    ws();
    if (i_ < s_.size() && s_[i_] == c)
      return ++i_, true;
    return false;
  }
  bool literal(std::string_view w) {
    if (s_.substr(i_, w.size()) != w)
      return false;
    i_ += w.size();
    return true;
  }
  bool string() {
    if (!eat('"'))
      return false;
    while (i_ < s_.size()) {
      auto c = static_cast<unsigned char>(s_[i_++]);
      if (c == '"')
        return true;
      if (c < 0x20)
        return false;
      if (c != '\\')
        continue;
      if (i_ >= s_.size())
        return false;
      char e = s_[i_++];
      if (e == 'u') {
        for (int k = 0; k < 4; ++k, ++i_)
          if (i_ >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[i_])))
            return false;
      } else if (std::string_view{"\"\\/bfnrt"}.find(e) == std::string_view::npos) {
        return false;
      }
    }
    return false;
  }
  bool number() {
    auto start = i_;
    if (i_ < s_.size() && s_[i_] == '-')
      ++i_;
    while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_])))
      ++i_;
    return i_ > start;
  }
  bool value() {
    ws();
    if (i_ >= s_.size())
      return false;
    switch (s_[i_]) {
      case '{': {
        ++i_;
        if (eat('}'))
          return true;
        do {
          if (!string() || !eat(':') || !value())
            return false;
        } while (eat(','));
        return eat('}');
      }
      case '[': {
        ++i_;
        if (eat(']'))
          return true;
        do {
          if (!value())
            return false;
        } while (eat(','));
        return eat(']');
      }
      case '"':
        return string();
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return number();
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
};

/// Columns on a terminal: UTF-8 continuation bytes take none.
std::size_t display_width(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
    s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

otp::tree_node leaf(std::string id) {
  return {.id = std::move(id), .type = otp::child_type::worker};
}

}  // namespace

TEST_CASE("the walk descends into running supervisors, static and simple_one_for_one") {
  otp::test::kit kit;
  auto j = new_journal();
  auto top = start_tree(kit, j);
  auto tree = otp::supervision_tree(top, "app").value();

  CHECK(tree.id == "app");
  CHECK(tree.pid == top);
  CHECK(tree.type == otp::child_type::supervisor);
  CHECK(tree.module == "supervisor(one_for_one)");
  REQUIRE(tree.flags);
  CHECK(tree.flags->intensity == 5);
  REQUIRE(tree.children.size() == 3);

  const auto& w = tree.children[0];
  CHECK(w.id == "w");
  CHECK(w.type == otp::child_type::worker);
  CHECK(w.pid == child_pid(top, "w"));
  CHECK(w.state == status::running);
  CHECK(w.module == "sup_fixtures::worker");
  CHECK_FALSE(w.flags);
  CHECK(w.children.empty());

  const auto& group = tree.children[1];
  CHECK(group.type == otp::child_type::supervisor);
  REQUIRE(group.flags);
  CHECK(group.flags->strategy == otp::strategy::one_for_all);
  REQUIRE(group.children.size() == 2);
  CHECK(group.children[0].id == "a");
  CHECK(group.children[1].id == "b");
  CHECK(group.children[1].pid == child_pid(otp::sup_ref{group.pid}, "b"));

  const auto& pool = tree.children[2];
  REQUIRE(pool.flags);
  CHECK(pool.flags->strategy == otp::strategy::simple_one_for_one);
  CHECK(pool.flags->period == 10s);
  REQUIRE(pool.children.size() == 3);
  for (const auto& p : pool.children) {
    CHECK(p.id.empty());
    CHECK(p.state == status::running);
    CHECK(kit.alive(p.pid));
  }
  CHECK(pool.children[0].pid < pool.children[1].pid);
}

TEST_CASE("a dead root is an error, and a child typed supervisor that is not one has no subtree") {
  otp::test::kit kit;
  auto j = new_journal();
  auto top = supervisor::start_link(kit.node(), {},
                                    {{.id = "impostor",
                                      .start = otp::start_with<worker>(std::string{"i"}, j),
                                      .type = otp::child_type::supervisor}})
               .value();
  auto tree = otp::supervision_tree(top).value();
  CHECK(tree.id == "root");
  REQUIRE(tree.children.size() == 1);
  CHECK(tree.children[0].state == status::running);
  CHECK_FALSE(tree.children[0].flags);
  CHECK(tree.children[0].children.empty());

  auto lone_worker = gen_server::start<worker>(kit.node(), std::string{"x"}, j).value();
  CHECK_FALSE(otp::supervision_tree(otp::sup_ref{lone_worker}));

  gen_server::stop(top).value();
  auto gone = otp::supervision_tree(top);
  REQUIRE_FALSE(gone);
  CHECK(gone.error().what_kind() == otp::sup_error::kind::call_failed);
}

TEST_CASE("to_text draws the tree with aligned columns") {
  otp::test::kit kit;
  auto j = new_journal();
  auto top = start_tree(kit, j);
  auto tree = otp::supervision_tree(top, "app").value();
  auto text = otp::to_text(tree);
  auto l = lines(text);
  REQUIRE(l.size() == 9);
  auto pid = [](const otp::pid& p) { return fmt::format("{}", p); };
  // Columns: tree, kind, pid, restart, restarts, strategy, state; the root has no restart type.
  CHECK(l[0].starts_with("app  "));
  CHECK(l[0].find("supervisor") != std::string::npos);
  CHECK(l[0].find("one_for_one 5/5s") != std::string::npos);
  CHECK(l[0].find("permanent") == std::string::npos);
  CHECK(l[1].starts_with("├─ w "));
  CHECK(l[2].starts_with("├─ group "));
  CHECK(l[3].starts_with("│  ├─ a "));
  CHECK(l[4].starts_with("│  └─ b "));
  CHECK(l[5].starts_with("└─ pool "));
  CHECK(l[6].starts_with("   ├─ sup_fixtures::worker "));
  CHECK(l[8].starts_with("   └─ sup_fixtures::worker "));
  // Every line ends with its state, in one column.
  for (const auto& line : l) {
    CHECK(line.ends_with("running"));
    CHECK(display_width(line) == display_width(l[0]));
  }
  // A few exact lines. Pids are deterministic under the kit, but read them back: the pid
  // column is as wide as the widest pid.
  std::size_t pid_width = 0;
  for (const auto& p : {tree.pid, tree.children[2].children.back().pid})
    pid_width = std::max(pid_width, pid(p).size());
  auto pid_cell = [&](const otp::pid& p) { return fmt::format("{:<{}}", pid(p), pid_width); };
  CHECK(l[0]
        == fmt::format("app                         supervisor  {}                         "
                       "one_for_one 5/5s          running",
                       pid_cell(tree.pid)));
  CHECK(l[4]
        == fmt::format("│  └─ b                     worker      {}  permanent  0 restarts  "
                       "                          running",
                       pid_cell(tree.children[1].children[1].pid)));
  CHECK(l[5]
        == fmt::format("└─ pool                     supervisor  {}  permanent  0 restarts  "
                       "simple_one_for_one 3/10s  running",
                       pid_cell(tree.children[2].pid)));
  CHECK(l[8]
        == fmt::format("   └─ sup_fixtures::worker  worker      {}  permanent  0 restarts  "
                       "                          running",
                       pid_cell(tree.children[2].children[2].pid)));
  CHECK(fmt::format("{}", tree) == text);
}

TEST_CASE("to_text colours states and marks the pids a later snapshot added") {
  otp::test::kit kit;
  auto j = new_journal();
  auto top = start_tree(kit, j);
  auto before = otp::supervision_tree(top).value();
  CHECK(otp::to_text(before).find('\x1b') == std::string::npos);
  auto colored = otp::to_text(before, true);
  CHECK(colored.find("\x1b[32mrunning\x1b[0m") != std::string::npos);
  CHECK(colored.find("\x1b[2m├─ \x1b[0m") != std::string::npos);
  otp::tree_node stopped{.id = "s", .flags = otp::sup_flags{}};
  stopped.children.push_back(leaf("gone"));
  stopped.children.back().state = status::undefined;
  CHECK(otp::to_text(stopped, true).find("\x1b[31mundefined\x1b[0m") != std::string::npos);

  auto a = child_pid(otp::sup_ref{before.children[1].pid}, "a");
  gen_server::cast(otp::server_ref<worker>{a}, crash{});
  kit.wait_exit(a);
  kit.run();
  auto after = otp::supervision_tree(top).value();
  auto l = lines(otp::to_text(after, before));
  // one_for_all: a and b have new pids, nothing else does.
  for (std::size_t i = 0; i < l.size(); ++i)
    CHECK((l[i].find("* ") != std::string::npos) == (i == 3 || i == 4));
  CHECK(otp::to_text(after, before, true).find("\x1b[1;33m") != std::string::npos);
}

TEST_CASE("restart counts show up after a crash, and in every rendering") {
  otp::test::kit kit;
  auto j = new_journal();
  auto top = start_tree(kit, j);
  auto group = otp::sup_ref{child_pid(top, "group")};
  auto b = child_pid(group, "b");
  gen_server::cast(otp::server_ref<worker>{b}, crash{});
  kit.wait_exit(b);
  kit.run();
  auto pool_tree = otp::supervision_tree(top).value().children[2];
  auto p = pool_tree.children[0].pid;
  gen_server::cast(otp::server_ref<worker>{p}, crash{});
  kit.wait_exit(p);
  kit.run();

  auto tree = otp::supervision_tree(top).value();
  CHECK(tree.children[0].restarts == 0);
  CHECK(tree.children[1].restarts == 0);              // the group itself did not restart
  CHECK(tree.children[1].children[0].restarts == 1);  // one_for_all: a restarted with b
  CHECK(tree.children[1].children[1].restarts == 1);
  CHECK(tree.children[1].children[1].pid != b);
  const auto& pool = tree.children[2].children;
  REQUIRE(pool.size() == 3);
  CHECK(pool.back().restarts == 1);  // the restarted child has the newest pid
  CHECK(pool.back().pid != p);

  auto l = lines(otp::to_text(tree));
  CHECK(l[3].find("  1 restart ") != std::string::npos);
  CHECK(l[1].find("  0 restarts  ") != std::string::npos);
  CHECK(otp::to_json(tree).find("\"id\": \"b\", \"pid\": \""
                                + fmt::format("{}", tree.children[1].children[1].pid)
                                + "\", \"type\": \"worker\", \"state\": \"running\", "
                                  "\"restart\": \"permanent\", \"restarts\": 1")
        != std::string::npos);
  CHECK(otp::to_dot(tree).find("\\n1 restart\"") != std::string::npos);
}

TEST_CASE("to_json is well-formed, escapes strings, and matches exactly for a small tree") {
  otp::tree_node tree{.id = "top", .module = "supervisor(one_for_one)", .flags = otp::sup_flags{}};
  tree.children.push_back(leaf("quote\" back\\slash\nnew\ttab\x01"));
  tree.children.back().state = status::undefined;
  tree.children.push_back(leaf("bad utf-8 \xff, good \xc3\xa9"));
  tree.children.back().restart = otp::restart::transient;
  tree.children.back().restarts = 2;
  auto json = otp::to_json(tree);
  CHECK(json_checker::valid(json));
  CHECK(json
        == "{\"id\": \"top\", \"pid\": null, \"type\": \"supervisor\", \"state\": \"running\", "
           "\"restart\": \"permanent\", \"restarts\": 0, \"module\": \"supervisor(one_for_one)\", "
           "\"flags\": {\"strategy\": \"one_for_one\", \"intensity\": 1, \"period_ms\": 5000, "
           "\"auto_shutdown\": \"never\"}, \"children\": [\n"
           "  {\"id\": \"quote\\\" back\\\\slash\\nnew\\ttab\\u0001\", \"pid\": null, \"type\": "
           "\"worker\", \"state\": \"undefined\", \"restart\": \"permanent\", \"restarts\": 0, "
           "\"module\": \"\", \"children\": []},\n"
           "  {\"id\": \"bad utf-8 \\ufffd, good \xc3\xa9\", \"pid\": null, \"type\": \"worker\", "
           "\"state\": \"running\", \"restart\": \"transient\", \"restarts\": 2, \"module\": \"\", "
           "\"children\": []}\n"
           "]}\n");
  // The checker itself rejects what it should.
  CHECK_FALSE(json_checker::valid("{\"a\": \"raw\nnewline\"}"));
  CHECK_FALSE(json_checker::valid("{\"a\": 1,}"));
  CHECK_FALSE(json_checker::valid("{\"a\": \"\\x\"}"));

  otp::test::kit kit;
  auto j = new_journal();
  CHECK(json_checker::valid(otp::to_json(otp::supervision_tree(start_tree(kit, j)).value())));
}

TEST_CASE("to_dot draws supervisors as boxes, workers as ellipses, and escapes labels") {
  otp::test::kit kit;
  auto j = new_journal();
  auto tree = otp::supervision_tree(start_tree(kit, j), "app").value();
  auto dot = otp::to_dot(tree);
  auto pid = [](const otp::pid& p) { return fmt::format("{}", p); };
  CHECK(dot.starts_with("digraph supervision_tree {\n"));
  CHECK(dot.ends_with("}\n"));
  // Preorder numbering: app n0, w n1, group n2, a n3, b n4, pool n5, its children n6..n8.
  CHECK(dot.find(
          fmt::format("  n0 [shape=box, label=\"app\\n{}\\none_for_one 5/5s\"];\n", pid(tree.pid)))
        != std::string::npos);
  CHECK(
    dot.find(fmt::format("  n1 [shape=ellipse, label=\"w\\n{}\"];\n", pid(tree.children[0].pid)))
    != std::string::npos);
  CHECK(dot.find("  n2 [shape=box, label=\"group\\n") != std::string::npos);
  for (auto edge : {"n0 -> n1;", "n0 -> n2;", "n2 -> n3;", "n2 -> n4;", "n0 -> n5;", "n5 -> n6;",
                    "n5 -> n7;", "n5 -> n8;"})
    CHECK(dot.find(edge) != std::string::npos);
  auto edges = 0;
  for (auto at = dot.find(" -> "); at != std::string::npos; at = dot.find(" -> ", at + 1))
    ++edges;
  CHECK(edges == 8);

  otp::tree_node odd{.id = "a \"quoted\" \\N id", .flags = otp::sup_flags{}};
  odd.children.push_back(leaf("gone"));
  odd.children.back().state = status::restarting;
  CHECK(otp::to_dot(odd)
        == "digraph supervision_tree {\n"
           "  node [fontname=\"Helvetica\"];\n"
           "  n0 [shape=box, label=\"a \\\"quoted\\\" \\\\N id\\nundefined\\none_for_one 1/5s\"];\n"
           "  n1 [shape=ellipse, label=\"gone\\nundefined\\nrestarting\", style=dashed, color=red];\n"
           "  n0 -> n1;\n"
           "}\n");
}
