#!/usr/bin/env bash
# Builds a fuzzer (libFuzzer + ASan + UBSan) and runs it for a while: the distribution handshake
# (the default), the external term format decoder (term), or Erlang's distribution: its
# handshake, data-mode packets and control messages (erlang).
# usage: scripts/fuzz.sh [handshake | term | erlang]
#   env: FUZZ_SECONDS (20), FUZZ_BUILD (build-fuzz/), FUZZ_OPTIONAL=1
#        (exit 0 with "skipped" when clang++ is missing), CXX_FUZZ (clang++)
# Exits nonzero when the fuzzer finds a crash; the input is left in $FUZZ_BUILD/artifacts/.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${FUZZ_BUILD:-$root/build-fuzz}"
seconds="${FUZZ_SECONDS:-20}"
cxx="${CXX_FUZZ:-clang++}"
target="${1:-handshake}"
case "$target" in
  handshake | term | erlang) ;;
  *) echo "usage: $0 [handshake | term | erlang]" >&2; exit 2 ;;
esac

if ! command -v "$cxx" >/dev/null; then
  if [[ "${FUZZ_OPTIONAL:-0}" == 1 ]]; then
    echo "fuzz.sh: $cxx not found, fuzzing skipped"
    exit 0
  fi
  echo "fuzz.sh: $cxx not found (FUZZ_OPTIONAL=1 skips instead)" >&2
  exit 1
fi

# Each target has a corpus of its own (handshake frames are no terms).
corpus="$build/corpus"
[[ "$target" == handshake ]] || corpus+="-$target"
mkdir -p "$corpus" "$build/artifacts"
# _GLIBCXX_ASSERTIONS: an unchecked optional or span access aborts instead of reading garbage.
fuzz_flags=(-std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
  -D_GLIBCXX_ASSERTIONS -I"$root/include")
seed() { printf '%b' "$2" >"$corpus/seed-$1"; }
run() {
  UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}" "$build/$1" \
    -max_total_time="$seconds" -max_len="$2" -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$build/artifacts/" "$corpus"
}

if [[ "$target" == term ]]; then
  "$cxx" "${fuzz_flags[@]}" -I"$root/src" "$root/tests/fuzz/term_fuzz.cpp" "$root"/src/term/*.cpp \
    -lz -lfmt \
    -o "$build/term_fuzz"
  # Seeds: Erlang's own bytes for a tuple, a map, a pid, a bignum, an improper list, a float,
  # and a compressed term.
  seed tuple '\x83\x68\x02\x77\x04bump\x61\x0a'
  seed map '\x83\x74\x00\x00\x00\x02\x77\x01a\x61\x01\x77\x01b\x6c\x00\x00\x00\x01\x77\x01x\x6a'
  seed pid '\x83\x58\x77\x0dnonode@nohost\x00\x00\x00\x09\x00\x00\x00\x00\x00\x00\x00\x00'
  seed big '\x83\x6e\x09\x01\x00\x00\x00\x00\x00\x00\x00\x00\x40'
  seed improper '\x83\x6c\x00\x00\x00\x02\x61\x01\x61\x02\x61\x03'
  seed float '\x83\x46\x3f\xf8\x00\x00\x00\x00\x00\x00'
  seed string '\x83\x6b\x00\x03abc'
  # {route, [{step, 1, <<"a">>}], #{w => 1.5}, {3, true}}: a record for the conversions.
  seed record '\x83\x68\x04\x77\x05route\x6c\x00\x00\x00\x01\x68\x03\x77\x04step\x61\x01\x6d\x00\x00\x00\x01a\x6a\x74\x00\x00\x00\x01\x77\x01w\x46\x3f\xf8\x00\x00\x00\x00\x00\x00\x68\x02\x61\x03\x77\x04true'
  seed compressed '\x83\x50\x00\x00\x08\x9e\x78\x9c\xcb\x61\x60\x60\x48\xc9\x60\x4a\x61\x60\x4e\x4c\x4a\xce\x66\xe0\xce\x48\xcd\xc9\xc9\x57\x28\xcf\x2f\xca\x19\x15\x1d\x15\x1d\x15\x1d\x15\x1d\x15\x1d\x15\x1d\x15\x1d\x15\x1d\x00\xd1\x2c\x00\x33\x15\xa7\xdd'
  run term_fuzz 65536
  exit
fi

if [[ "$target" == erlang ]]; then
  "$cxx" "${fuzz_flags[@]}" -I"$root/src" "$root/tests/fuzz/erlang_dist_fuzz.cpp" \
    "$root"/src/dist/erlang/{handshake,flags,control,packet_reader}.cpp \
    "$root/src/dist/handshake.cpp" "$root/src/dist/dist_error.cpp" "$root"/src/term/*.cpp \
    -lcrypto -lfmt -lz -o "$build/erlang_dist_fuzz"
  # Seeds: an OTP 25 style send_name, the acceptor's status and challenge, a challenge reply,
  # and a pass-through REG_SEND packet.
  seed send-name '\x00\x15N\x00\x00\x00\x0f\x07\xdf\x7f\xbd\x00\x00\x00\x05\x00\x06a@host'
  seed status-challenge '\x00\x03sok\x00\x1cN\x00\x00\x00\x0f\x07\xdf\x7f\xbd\x00\x00\x16\x2e\x00\x00\x00\x02\x00\x09beam@host'
  seed reply '\x00\x15r\x00\x00\x04\xd2AAAAAAAAAAAAAAAA'
  seed reg-send 'x\x00\x00\x00\x23p\x83h\x04a\x06Xw\x06a@host\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01w\x00w\x01x\x83a\x01'
  run erlang_dist_fuzz 4096
  exit
fi

"$cxx" "${fuzz_flags[@]}" -I"$root/src" "$root/tests/fuzz/handshake_fuzz.cpp" \
  "$root/src/dist/handshake.cpp" \
  "$root/src/dist/dist_error.cpp" -lcrypto -lfmt -o "$build/handshake_fuzz"

# Seeds, so that the fuzzer starts past the framing: the frames of a real handshake (the fuzz
# target's nodes are alpha@host, creation 1, and beta@host, creation 2, both ticking 15000 ms).
challenge="$(printf '\\x5a%.0s' {1..32})"
hello_alpha='\x00\x01\x00\x00\x00\x01\x00\x00\x3a\x98\x0aalpha@host'
hello_beta='\x00\x01\x00\x00\x00\x02\x00\x00\x3a\x98\x09beta@host'
seed client-hello "\x00\x16N$hello_alpha"
seed server-hello "\x00\x03sok\x00\x35N$hello_beta$challenge"
seed server-hello-ack "\x00\x03sok\x00\x35N$hello_beta$challenge\x00\x21a$challenge"
seed refusal '\x00\x0fsduplicate_name'
seed client-reply "\x00\x16N$hello_alpha\x00\x41r$challenge$challenge"
seed oversized '\xff\xff'

run handshake_fuzz 4096
