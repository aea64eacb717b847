#pragma once

/// Erlang terms: `otp::term` and its parts, conversions to and from C++ values, printing in
/// Erlang syntax, and the external term format (`otp::etf::encode` / `decode`).
/// CMake target `caf_otp::term`; see docs/terms.md. Types with CAF's `inspect` as Erlang
/// records: `otp/term/inspect.hpp` (it needs CAF's headers, this header does not).

#include "otp/term/atom.hpp"
#include "otp/term/big_integer.hpp"
#include "otp/term/convert.hpp"
#include "otp/term/etf.hpp"
#include "otp/term/ids.hpp"
#include "otp/term/print.hpp"
#include "otp/term/term.hpp"
