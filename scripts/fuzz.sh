#!/usr/bin/env bash
# Builds the distribution-handshake fuzzer (libFuzzer + ASan + UBSan) and runs it for a while.
# usage: scripts/fuzz.sh   env: FUZZ_SECONDS (20), FUZZ_BUILD (build-fuzz/), FUZZ_OPTIONAL=1
#        (exit 0 with "skipped" when clang++ is missing), CXX_FUZZ (clang++)
# Exits nonzero when the fuzzer finds a crash; the input is left in $FUZZ_BUILD/artifacts/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${FUZZ_BUILD:-$root/build-fuzz}"
seconds="${FUZZ_SECONDS:-20}"
cxx="${CXX_FUZZ:-clang++}"

if ! command -v "$cxx" >/dev/null; then
  if [[ "${FUZZ_OPTIONAL:-0}" == 1 ]]; then
    echo "fuzz.sh: $cxx not found, fuzzing skipped"
    exit 0
  fi
  echo "fuzz.sh: $cxx not found (FUZZ_OPTIONAL=1 skips instead)" >&2
  exit 1
fi

mkdir -p "$build/corpus" "$build/artifacts"
# _GLIBCXX_ASSERTIONS: an unchecked optional or span access aborts instead of reading garbage.
"$cxx" -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
  -D_GLIBCXX_ASSERTIONS -I"$root/include" -I"$root/src" \
  "$root/tests/fuzz/handshake_fuzz.cpp" "$root/src/dist/handshake.cpp" \
  "$root/src/dist/dist_error.cpp" -lcrypto -lfmt -o "$build/handshake_fuzz"

# Seeds, so that the fuzzer starts past the framing: the frames of a real handshake (the fuzz
# target's nodes are alpha@host, creation 1, and beta@host, creation 2, both ticking 15000 ms).
seed() { printf '%b' "$2" >"$build/corpus/seed-$1"; }
challenge="$(printf '\\x5a%.0s' {1..32})"
hello_alpha='\x00\x01\x00\x00\x00\x01\x00\x00\x3a\x98\x0aalpha@host'
hello_beta='\x00\x01\x00\x00\x00\x02\x00\x00\x3a\x98\x09beta@host'
seed client-hello "\x00\x16N$hello_alpha"
seed server-hello "\x00\x03sok\x00\x35N$hello_beta$challenge"
seed server-hello-ack "\x00\x03sok\x00\x35N$hello_beta$challenge\x00\x21a$challenge"
seed refusal '\x00\x0fsduplicate_name'
seed client-reply "\x00\x16N$hello_alpha\x00\x41r$challenge$challenge"
seed oversized '\xff\xff'

UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}" "$build/handshake_fuzz" \
  -max_total_time="$seconds" -max_len=4096 -timeout=10 -print_final_stats=1 \
  -artifact_prefix="$build/artifacts/" "$build/corpus"
