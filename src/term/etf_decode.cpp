// The decoder, written for hostile input: every length is checked against what is left of the
// input before anything is allocated (an element takes at least one byte, a map entry two), the
// nesting depth is bounded, a compressed term may announce at most max_decompressed bytes (and
// no more than zlib's best ratio allows for its input), and every failure is a decode_error
// with the offset where it happened.
//
// Why not ei's decoders: ei_decode_* take a buffer without its length (they trust the input, as
// code inside a node may), and ei does not read compressed terms; see docs/terms.md.

#include "otp/term/etf.hpp"

#include "term/etf_tags.hpp"
#include "term/term_data.hpp"
#include "term/utf8.hpp"

#define ZLIB_CONST
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>

namespace otp::etf {
namespace {

using kind = decode_error::kind;

/// Thrown inside the decoder, turned into a decode_error at its entry points.
struct failure {
  kind what;
  std::size_t offset;
};

// zlib cannot expand data by more than about 1032:1 (deflate's maximum).
constexpr std::size_t max_inflate_ratio = 1032;

struct decoder {
  std::span<const std::uint8_t> in;
  const decode_options& options;
  std::size_t pos = 0;

  [[noreturn]] void fail(kind k) const { throw failure{k, pos}; }
  std::size_t left() const noexcept { return in.size() - pos; }
  void need(std::size_t n) const {
    if (n > left())
      fail(kind::truncated);
  }
  /// A count of items that take at least `min_bytes` each must fit in what is left.
  std::size_t fits(std::size_t n, std::size_t min_bytes) const {
    if (n > left() / min_bytes)
      fail(kind::bad_length);
    return n;
  }

  std::uint8_t u8() {
    need(1);
    return in[pos++];
  }
  std::uint16_t u16() {
    need(2);
    auto v = static_cast<std::uint16_t>(in[pos] << 8 | in[pos + 1]);
    pos += 2;
    return v;
  }
  std::uint32_t u32() {
    auto high = u16();
    return std::uint32_t{high} << 16 | u16();
  }
  std::uint64_t u64() {
    auto high = u32();
    return std::uint64_t{high} << 32 | u32();
  }
  std::span<const std::uint8_t> take(std::size_t n) {
    need(n);
    auto s = in.subspan(pos, n);
    pos += n;
    return s;
  }

  // -- atoms --------------------------------------------------------------------------------------

  atom atom_text(std::span<const std::uint8_t> text, bool utf8) {
    std::string s;
    if (utf8) {
      s.assign(text.begin(), text.end());
      auto n = utf8_length(s);
      if (n < 0 || n > 255)
        fail(kind::invalid);
    } else {
      if (text.size() > 255)
        fail(kind::invalid);
      for (auto c : text)  // Latin-1 to UTF-8
        detail::append_utf8(s, c);
    }
    return atom{s};
  }

  /// An atom after its tag, or nullopt if `t` is no atom tag.
  std::optional<atom> atom_after(std::uint8_t t) {
    switch (t) {
      case tag::atom_latin1:
        return atom_text(take(u16()), false);
      case tag::small_atom_latin1:
        return atom_text(take(u8()), false);
      case tag::atom_utf8:
        return atom_text(take(u16()), true);
      case tag::small_atom_utf8:
        return atom_text(take(u8()), true);
      default:
        return std::nullopt;
    }
  }

  /// The node name inside a pid, port or reference.
  atom node() {
    auto t = u8();
    if (auto a = atom_after(t))
      return *a;
    --pos;
    fail(t == tag::atom_cache_ref ? kind::unsupported : kind::invalid);
  }

  // -- terms --------------------------------------------------------------------------------------

  term value(std::size_t depth) {
    auto t = u8();
    if (auto a = atom_after(t))
      return term{std::move(*a)};
    switch (t) {
      case tag::small_integer:
        return term{u8()};
      case tag::integer:
        return term{static_cast<std::int32_t>(u32())};
      case tag::new_float:
        return floating(std::bit_cast<double>(u64()));
      case tag::float_string:
        return float_text();
      case tag::small_big:
        return big(u8());
      case tag::large_big:
        return big(u32());
      case tag::small_tuple:
        return tuple(u8(), depth);
      case tag::large_tuple:
        return tuple(u32(), depth);
      case tag::map:
        return map(u32(), depth);
      case tag::nil:
        return term{};
      case tag::string:
        return string(u16());
      case tag::list:
        return list(u32(), depth);
      case tag::binary:
        return binary(u32());
      case tag::new_pid:
        return pid(true);
      case tag::pid:
        return pid(false);
      case tag::new_port:
        return port(tag::new_port);
      case tag::v4_port:
        return port(tag::v4_port);
      case tag::port:
        return port(tag::port);
      case tag::newer_reference:
        return ref(u16(), true);
      case tag::new_reference:
        return ref(u16(), false);
      case tag::reference:
        return old_ref();
      case tag::bit_binary:
      case tag::new_fun:
      case tag::export_fun:
      case tag::fun:
      case tag::atom_cache_ref:
      case tag::local:
        --pos;
        fail(kind::unsupported);
      default:
        --pos;
        fail(kind::unknown_tag);
    }
  }

  void enter(std::size_t depth) const {
    if (depth >= options.max_depth)
      fail(kind::too_deep);
  }

  term floating(double d) {
    if (!std::isfinite(d)) {
      pos -= 8;
      fail(kind::invalid);
    }
    return term{d};
  }

  term float_text() {
    auto text = take(31);
    auto* begin = reinterpret_cast<const char*>(text.data());
    auto* end = std::find(begin, begin + text.size(), '\0');
    while (begin != end && *begin == ' ')
      ++begin;
    double d = 0;
    auto [stop, ec] = std::from_chars(begin, end, d);
    if (ec != std::errc{} || stop != end)
      fail(kind::invalid);
    return floating_checked(d);
  }
  term floating_checked(double d) {
    if (!std::isfinite(d))
      fail(kind::invalid);
    return term{d};
  }

  term big(std::size_t n) {
    auto sign = u8();
    if (sign > 1)
      fail(kind::invalid);
    auto digits = take(fits(n, 1));
    return term{big_integer{sign == 1, {digits.begin(), digits.end()}}};
  }

  term tuple(std::size_t n, std::size_t depth) {
    enter(depth);
    std::vector<term> elements;
    elements.reserve(fits(n, 1));
    for (std::size_t i = 0; i < n; ++i)
      elements.push_back(value(depth + 1));
    return term::tuple(std::move(elements));
  }

  term map(std::size_t n, std::size_t depth) {
    enter(depth);
    auto start = pos;
    std::vector<term::map_entry> entries;
    entries.reserve(fits(n, 2));
    for (std::size_t i = 0; i < n; ++i) {
      auto k = value(depth + 1);
      entries.emplace_back(std::move(k), value(depth + 1));
    }
    // Erlang writes small maps in key order and large ones in hash order.
    auto by_key = [](const term::map_entry& a, const term::map_entry& b) {
      return a.first < b.first;
    };
    if (!std::is_sorted(entries.begin(), entries.end(), by_key))
      std::sort(entries.begin(), entries.end(), by_key);
    auto same_key = [](const term::map_entry& a, const term::map_entry& b) {
      return a.first == b.first;
    };
    if (std::adjacent_find(entries.begin(), entries.end(), same_key) != entries.end())
      throw failure{kind::invalid, start};
    return term_access::sorted_map(std::move(entries));
  }

  term string(std::size_t n) {
    std::vector<term> chars;
    for (auto c : take(n))
      chars.emplace_back(c);
    return term::list(std::move(chars));
  }

  /// A list; a tail that is itself a list (LIST_EXT or STRING_EXT) continues it, in a loop.
  term list(std::size_t n, std::size_t depth) {
    enter(depth);
    std::vector<term> elements;
    for (;;) {
      // Reserve for the first run only: a chain of short LIST_EXT tails must not reallocate
      // at every link.
      if (elements.empty())
        elements.reserve(fits(n, 1));
      else
        fits(n, 1);
      for (std::size_t i = 0; i < n; ++i)
        elements.push_back(value(depth + 1));
      need(1);
      if (in[pos] == tag::list) {
        ++pos;
        n = u32();
        continue;
      }
      if (in[pos] == tag::string) {
        ++pos;
        for (auto c : take(u16()))
          elements.emplace_back(c);
        return term::list(std::move(elements));
      }
      return term::list(std::move(elements), value(depth + 1));
    }
  }

  term binary(std::size_t n) { return term::binary(take(fits(n, 1))); }

  term pid(bool new_format) {
    erlang_pid p{.node = node()};
    p.id = u32();
    p.serial = u32();
    p.creation = new_format ? u32() : u8();
    return term{std::move(p)};
  }

  term port(std::uint8_t t) {
    erlang_port p{.node = node()};
    p.id = t == tag::v4_port ? u64() : u32();
    p.creation = t == tag::port ? u8() : u32();
    return term{std::move(p)};
  }

  term ref(std::size_t n, bool newer) {
    if (n == 0 || n > erlang_ref::max_words) {
      pos -= 2;
      fail(kind::invalid);
    }
    erlang_ref r{.node = node()};
    r.creation = newer ? u32() : u8();
    r.length = static_cast<std::uint8_t>(n);
    for (std::size_t i = 0; i < n; ++i)
      r.words[i] = u32();
    return term{std::move(r)};
  }

  term old_ref() {
    erlang_ref r{.node = node()};
    r.words[0] = u32();
    r.creation = u8();
    return term{std::move(r)};
  }

  // -- the version and compression ----------------------------------------------------------------

  term top() {
    if (u8() != tag::version) {
      pos = 0;
      fail(kind::bad_version);
    }
    need(1);
    if (in[pos] != tag::compressed)
      return value(0);
    auto start = pos++;
    std::size_t size = u32();
    if (size > options.max_decompressed)
      throw failure{kind::too_large, start};
    if (size / max_inflate_ratio > left())
      throw failure{kind::bad_length, start};
    auto inflated = inflate_all(in.subspan(pos), size, start);
    pos = in.size();  // zlib consumed the rest (checked in inflate_all)
    decoder inner{inflated, options};
    try {
      auto t = inner.value(0);
      if (inner.pos != inflated.size())
        inner.fail(kind::trailing_bytes);
      return t;
    } catch (const failure& f) {
      throw failure{f.what, start};  // an offset inside the inflated data means nothing here
    }
  }

  static std::vector<std::uint8_t> inflate_all(std::span<const std::uint8_t> data, std::size_t size,
                                               std::size_t start) {
    std::vector<std::uint8_t> out(size);
    z_stream zs{};
    if (inflateInit(&zs) != Z_OK)
      throw failure{kind::bad_compressed, start};
    zs.next_in = data.data();
    zs.avail_in = static_cast<uInt>(std::min<std::size_t>(data.size(), UINT32_MAX));
    zs.next_out = out.data();
    zs.avail_out = static_cast<uInt>(size);
    int rc = inflate(&zs, Z_FINISH);
    bool ok =
      rc == Z_STREAM_END && zs.total_out == size && zs.avail_in == 0 && data.size() <= UINT32_MAX;
    inflateEnd(&zs);
    if (!ok)
      throw failure{kind::bad_compressed, start};
    return out;
  }
};

}  // namespace

expected<decoded, decode_error> decode_prefix(std::span<const std::uint8_t> bytes,
                                              const decode_options& options) {
  decoder d{bytes, options};
  try {
    auto t = d.top();
    return decoded{std::move(t), d.pos};
  } catch (const failure& f) {
    return unexpected{decode_error{f.what, f.offset}};
  }
}

expected<term, decode_error> decode(std::span<const std::uint8_t> bytes,
                                    const decode_options& options) {
  auto d = decode_prefix(bytes, options);
  if (!d)
    return unexpected{d.error()};
  if (d->size != bytes.size())
    return unexpected{decode_error{kind::trailing_bytes, d->size}};
  return std::move(d->value);
}

}  // namespace otp::etf
