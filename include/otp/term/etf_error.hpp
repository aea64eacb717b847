#pragma once

#include "otp/detail/text_formatter.hpp"

#include <fmt/core.h>

#include <cstddef>
#include <stdexcept>
#include <string_view>

namespace otp::etf {

/// Why bytes did not decode as a term (`binary_to_term` raising `badarg`), with the offset in
/// the input where the decoder stopped.
class decode_error : public std::runtime_error {
 public:
  enum class kind {
    truncated,       // the input ends inside a term
    bad_version,     // the first byte is not 131
    unknown_tag,     // a byte that is no term tag
    unsupported,     // a valid tag caf-otp does not represent (funs, bit strings, atom cache)
    bad_length,      // a length or count larger than what the rest of the input can hold
    too_deep,        // nested deeper than decode_options::max_depth
    invalid,         // a value Erlang rejects too: NaN, bad UTF-8, a 256-character atom,
                     // a duplicate map key, a reference of 0 or more than 5 words
    bad_compressed,  // tag 80 whose zlib data does not inflate to the announced size
    too_large,       // decompressed size above decode_options::max_decompressed
    trailing_bytes,  // input left after the term (decode, not decode_prefix)
  };

  decode_error() : decode_error(kind::truncated, 0) {}
  decode_error(kind k, std::size_t offset);

  kind what_kind() const noexcept { return kind_; }
  std::size_t offset() const noexcept { return offset_; }

  friend bool operator==(const decode_error& a, const decode_error& b) noexcept {
    return a.kind_ == b.kind_ && a.offset_ == b.offset_;
  }

 private:
  kind kind_;
  std::size_t offset_;
};

std::string_view to_string(decode_error::kind k) noexcept;

}  // namespace otp::etf

template <>
struct fmt::formatter<otp::etf::decode_error> : otp::detail::text_formatter {
  template <class FormatContext>
  auto format(const otp::etf::decode_error& e, FormatContext& ctx) const {
    return write(e.what(), ctx.out());
  }
};
