// The encoder: the same choices as the emulator's term_to_binary (erts external.c), so that a
// term Erlang wrote re-encodes to the same bytes: the smallest integer form, STRING_EXT for a
// proper list of bytes shorter than 64 KiB, NEW_PORT_EXT unless the id needs 64 bits, map entries
// in key order (as Erlang writes maps of up to 32 keys).

#include "otp/term/etf.hpp"

#include "term/etf_tags.hpp"
#include "term/term_data.hpp"

#include <bit>
#include <cstring>
#include <limits>
#include <stdexcept>

namespace otp::etf {
namespace {

struct encoder {
  std::vector<std::uint8_t>& out;
  const encode_options& options;

  void u8(std::uint8_t v) { out.push_back(v); }
  void u16(std::uint16_t v) {
    u8(static_cast<std::uint8_t>(v >> 8));
    u8(static_cast<std::uint8_t>(v));
  }
  void u32(std::uint32_t v) {
    u16(static_cast<std::uint16_t>(v >> 16));
    u16(static_cast<std::uint16_t>(v));
  }
  void u64(std::uint64_t v) {
    u32(static_cast<std::uint32_t>(v >> 32));
    u32(static_cast<std::uint32_t>(v));
  }
  void bytes(std::span<const std::uint8_t> b) { out.insert(out.end(), b.begin(), b.end()); }
  void count(std::size_t n) {
    if (n > std::numeric_limits<std::uint32_t>::max())
      throw std::length_error("otp::etf::encode: more than 2^32-1 elements or bytes");
    u32(static_cast<std::uint32_t>(n));
  }

  void write(const term& t) { term_access::visit(t, *this); }

  void operator()(std::int64_t v) {
    if (v >= 0 && v <= 255) {
      u8(tag::small_integer);
      u8(static_cast<std::uint8_t>(v));
    } else if (v >= std::numeric_limits<std::int32_t>::min()
               && v <= std::numeric_limits<std::int32_t>::max()) {
      u8(tag::integer);
      u32(static_cast<std::uint32_t>(v));
    } else {
      (*this)(big_integer::from_int64(v));
    }
  }

  void operator()(const big_integer& b) { big(b.negative(), b.magnitude()); }

  void big(bool negative, std::span<const std::uint8_t> magnitude) {
    if (magnitude.size() <= 255) {
      u8(tag::small_big);
      u8(static_cast<std::uint8_t>(magnitude.size()));
    } else {
      u8(tag::large_big);
      count(magnitude.size());
    }
    u8(negative ? 1 : 0);
    bytes(magnitude);
  }

  void operator()(double d) {
    u8(tag::new_float);
    u64(std::bit_cast<std::uint64_t>(d));
  }

  void operator()(const atom& a) {
    const auto& name = a.name();
    if (!options.utf8_atoms && latin1_atom(name))
      return;
    if (name.size() <= 255) {
      u8(tag::small_atom_utf8);
      u8(static_cast<std::uint8_t>(name.size()));
    } else {
      u8(tag::atom_utf8);
      u16(static_cast<std::uint16_t>(name.size()));  // at most 255 * 4 bytes
    }
    bytes({reinterpret_cast<const std::uint8_t*>(name.data()), name.size()});
  }

  /// ATOM_EXT when every character is Latin-1; false (nothing written) otherwise.
  bool latin1_atom(const std::string& name) {
    std::vector<std::uint8_t> latin1;
    for (std::size_t i = 0; i < name.size(); ++i) {
      auto c = static_cast<unsigned char>(name[i]);
      if (c < 0x80) {
        latin1.push_back(c);
      } else if ((c == 0xc2 || c == 0xc3) && i + 1 < name.size()) {
        latin1.push_back(static_cast<std::uint8_t>(
          (c & 0x03) << 6 | (static_cast<unsigned char>(name[++i]) & 0x3f)));
      } else {
        return false;
      }
    }
    u8(tag::atom_latin1);
    u16(static_cast<std::uint16_t>(latin1.size()));
    bytes(latin1);
    return true;
  }

  void operator()(const erlang_pid& p) {
    u8(tag::new_pid);
    (*this)(p.node);
    u32(p.id);
    u32(p.serial);
    u32(p.creation);
  }

  void operator()(const erlang_port& p) {
    bool wide = p.id > std::numeric_limits<std::uint32_t>::max();
    u8(wide ? tag::v4_port : tag::new_port);
    (*this)(p.node);
    if (wide)
      u64(p.id);
    else
      u32(static_cast<std::uint32_t>(p.id));
    u32(p.creation);
  }

  void operator()(const erlang_ref& r) {
    u8(tag::newer_reference);
    u16(r.length);
    (*this)(r.node);
    u32(r.creation);
    for (auto w : r.ids())
      u32(w);
  }

  void operator()(tuple_view t) {
    auto elements = t.elements;
    if (elements.size() <= 255) {
      u8(tag::small_tuple);
      u8(static_cast<std::uint8_t>(elements.size()));
    } else {
      u8(tag::large_tuple);
      count(elements.size());
    }
    for (const auto& e : elements)
      write(e);
  }

  void operator()(map_view m) {
    u8(tag::map);
    count(m.entries.size());
    for (const auto& [k, v] : m.entries) {
      write(k);
      write(v);
    }
  }

  void operator()(nil_view) { u8(tag::nil); }

  void operator()(list_view l) {
    auto elements = l.elements;
    if (l.tail.is_nil() && elements.size() <= 0xffff && all_bytes(elements)) {
      u8(tag::string);
      u16(static_cast<std::uint16_t>(elements.size()));
      for (const auto& e : elements)
        u8(static_cast<std::uint8_t>(term_access::get<std::int64_t>(e)));
      return;
    }
    u8(tag::list);
    count(elements.size());
    for (const auto& e : elements)
      write(e);
    write(l.tail);
  }

  static bool all_bytes(std::span<const term> elements) {
    for (const auto& e : elements) {
      auto* i = e.get_if<std::int64_t>();
      if (i == nullptr || *i < 0 || *i > 255)
        return false;
    }
    return true;
  }

  void operator()(binary_view b) {
    u8(tag::binary);
    count(b.bytes.size());
    bytes(b.bytes);
  }
};

}  // namespace

void encode_to(std::vector<std::uint8_t>& out, const term& t, const encode_options& options) {
  out.push_back(tag::version);
  encoder{out, options}.write(t);
}

std::vector<std::uint8_t> encode(const term& t, const encode_options& options) {
  std::vector<std::uint8_t> out;
  encode_to(out, t, options);
  return out;
}

}  // namespace otp::etf
