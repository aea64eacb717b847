// Terms in Erlang syntax, as io_lib:format's ~w and ~p (on one line) write them.

#include "otp/term/print.hpp"

#include "term/term_data.hpp"
#include "term/utf8.hpp"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include <cmath>

namespace otp {
namespace {

// -- characters and atoms ---------------------------------------------------------------------

using detail::append_utf8;

/// The escape Erlang writes for a control character, or nullptr.
const char* named_escape(std::uint32_t c) {
  switch (c) {
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    case '\v':
      return "\\v";
    case '\b':
      return "\\b";
    case '\f':
      return "\\f";
    case 27:
      return "\\e";
    case 127:
      return "\\d";
    default:
      return nullptr;
  }
}

/// One character inside quotes `q` (' or "), as io_lib writes it.
void append_quoted_char(std::string& out, std::uint32_t c, char q) {
  if (c == static_cast<std::uint32_t>(q) || c == '\\') {
    out.push_back('\\');
    out.push_back(static_cast<char>(c));
  } else if (auto* e = named_escape(c)) {
    out += e;
  } else if (c < 32 || (c >= 128 && c < 160)) {
    fmt::format_to(std::back_inserter(out), "\\{:03o}", c);
  } else if (c > 255) {
    fmt::format_to(std::back_inserter(out), "\\x{{{:X}}}", c);
  } else {
    append_utf8(out, c);
  }
}

std::vector<std::uint32_t> code_points(std::string_view utf8) {
  std::vector<std::uint32_t> cps;
  for (std::size_t i = 0; i < utf8.size();)
    cps.push_back(static_cast<std::uint32_t>(detail::next_code_point(utf8, i)));  // atoms are UTF-8
  return cps;
}

bool is_lower(std::uint32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 0xdf && c <= 0xff && c != 0xf7);
}
bool is_name_char(std::uint32_t c) {
  return is_lower(c) || (c >= 'A' && c <= 'Z') || (c >= 0xc0 && c <= 0xde && c != 0xd7)
         || (c >= '0' && c <= '9') || c == '_' || c == '@';
}

bool is_reserved(std::string_view s) {
  static constexpr std::array<std::string_view, 27> words = {
    "after", "and",  "andalso", "band",   "begin",   "bnot", "bor", "bsl",  "bsr",
    "bxor",  "case", "catch",   "cond",   "div",     "end",  "fun", "if",   "let",
    "not",   "of",   "or",      "orelse", "receive", "rem",  "try", "when", "xor"};
  return std::find(words.begin(), words.end(), s) != words.end();
}

void append_atom(std::string& out, const atom& a) {
  auto cps = code_points(a.name());
  bool bare = !cps.empty() && is_lower(cps.front())
              && std::all_of(cps.begin(), cps.end(), is_name_char) && !is_reserved(a.name());
  if (bare) {
    out += a.name();
    return;
  }
  out.push_back('\'');
  for (auto c : cps)
    append_quoted_char(out, c, '\'');
  out.push_back('\'');
}

// -- numbers ----------------------------------------------------------------------------------

/// A float as Erlang writes it: the shortest digits that read back the same, in fixed notation
/// when that is no longer than scientific and the value is below 2^53, else as `D.DDDeX`.
void append_float(std::string& out, double d) {
  std::array<char, 32> buf{};
  auto [end, ec] =
    std::to_chars(buf.data(), buf.data() + buf.size(), d, std::chars_format::scientific);
  std::string_view s{buf.data(), static_cast<std::size_t>(end - buf.data())};
  bool negative = s.front() == '-';
  if (negative)
    s.remove_prefix(1);
  auto e = s.find('e');
  std::string digits;
  for (char c : s.substr(0, e))
    if (c != '.')
      digits.push_back(c);
  int exponent = std::stoi(std::string{s.substr(e + 1)});
  auto n = static_cast<int>(digits.size());

  std::string sci =
    digits.substr(0, 1) + "." + (n > 1 ? digits.substr(1) : "0") + "e" + std::to_string(exponent);
  std::string fixed;
  if (exponent >= 0) {
    fixed = digits.substr(0, static_cast<std::size_t>(std::min(n, exponent + 1)));
    fixed.append(static_cast<std::size_t>(std::max(0, exponent + 1 - n)), '0');
    fixed += ".";
    fixed += n > exponent + 1 ? digits.substr(static_cast<std::size_t>(exponent + 1)) : "0";
  } else {
    fixed = "0." + std::string(static_cast<std::size_t>(-exponent - 1), '0') + digits;
  }
  if (negative)
    out.push_back('-');
  bool use_fixed = std::fabs(d) < 9007199254740992.0 && fixed.size() <= sci.size();
  out += use_fixed ? fixed : sci;
}

// -- printable lists and binaries ---------------------------------------------------------------

bool printable_char(std::int64_t c, bool latin1) {
  return (c >= 32 && c <= 126) || (c >= 8 && c <= 13) || c == 27
         || (latin1 && c >= 160 && c <= 255);
}

/// The characters of a proper list that ~p writes as a string, or nullopt.
std::optional<std::vector<std::uint32_t>> printable_list(list_view l) {
  if (!l.tail.is_nil())
    return std::nullopt;
  std::vector<std::uint32_t> chars;
  for (const auto& e : l.elements) {
    auto* c = e.get_if<std::int64_t>();
    if (c == nullptr || !printable_char(*c, true))
      return std::nullopt;
    chars.push_back(static_cast<std::uint32_t>(*c));
  }
  return chars;
}

// -- terms --------------------------------------------------------------------------------------

struct printer {
  std::string& out;
  term_style style;

  void print(const term& t) { term_access::visit(t, *this); }

  void operator()(std::int64_t i) { fmt::format_to(std::back_inserter(out), "{}", i); }
  void operator()(const big_integer& b) { out += b.to_string(); }
  void operator()(double d) { append_float(out, d); }
  void operator()(const atom& a) { append_atom(out, a); }
  void operator()(tuple_view t) { sequence('{', t.elements, '}'); }
  void operator()(nil_view) { out += "[]"; }

  void operator()(const erlang_pid& p) {
    fmt::format_to(std::back_inserter(out), "<{}.{}.{}>", node_print_index(p.node), p.id, p.serial);
  }

  void operator()(const erlang_port& p) {
    fmt::format_to(std::back_inserter(out), "#Port<{}.{}>", node_print_index(p.node), p.id);
  }

  void operator()(const erlang_ref& r) {
    fmt::format_to(std::back_inserter(out), "#Ref<{}", node_print_index(r.node));
    auto ids = r.ids();
    for (auto it = ids.rbegin(); it != ids.rend(); ++it)
      fmt::format_to(std::back_inserter(out), ".{}", *it);
    out.push_back('>');
  }

  void sequence(char open, std::span<const term> elements, char close) {
    out.push_back(open);
    for (std::size_t i = 0; i < elements.size(); ++i) {
      if (i > 0)
        out.push_back(',');
      print(elements[i]);
    }
    out.push_back(close);
  }

  void operator()(list_view l) {
    if (style == term_style::print) {
      if (auto chars = printable_list(l)) {
        out.push_back('"');
        for (auto c : *chars)
          append_quoted_char(out, c, '"');
        out.push_back('"');
        return;
      }
    }
    out.push_back('[');
    for (std::size_t i = 0; i < l.elements.size(); ++i) {
      if (i > 0)
        out.push_back(',');
      print(l.elements[i]);
    }
    if (!l.tail.is_nil()) {
      out.push_back('|');
      print(l.tail);
    }
    out.push_back(']');
  }

  void operator()(map_view m) {
    out += "#{";
    auto entries = m.entries;
    for (std::size_t i = 0; i < entries.size(); ++i) {
      if (i > 0)
        out.push_back(',');
      print(entries[i].first);
      out += " => ";
      print(entries[i].second);
    }
    out.push_back('}');
  }

  void operator()(binary_view bin) {
    auto bytes = bin.bytes;
    out += "<<";
    bool text = style == term_style::print && !bytes.empty()
                && std::all_of(bytes.begin(), bytes.end(),
                               [](std::uint8_t c) { return printable_char(c, false); });
    if (text) {
      out.push_back('"');
      for (auto c : bytes)
        append_quoted_char(out, c, '"');
      out.push_back('"');
    } else {
      for (std::size_t i = 0; i < bytes.size(); ++i) {
        if (i > 0)
          out.push_back(',');
        fmt::format_to(std::back_inserter(out), "{}", bytes[i]);
      }
    }
    out += ">>";
  }
};

}  // namespace

void append_term(std::string& out, const term& t, term_style style) {
  printer{out, style}.print(t);
}

std::string to_string(const term& t, term_style style) {
  std::string out;
  append_term(out, t, style);
  return out;
}

std::string to_string(const atom& a) {
  std::string out;
  append_atom(out, a);
  return out;
}

}  // namespace otp
