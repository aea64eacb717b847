#!/usr/bin/env bash
# Runs the Erlang/OTP scenarios that caf-otp's gen_server, supervisor and process tests are
# checked against, and prints what OTP does. Needs erl (scripts/setup.sh --bench). Each scenario
# runs in its own `erl -noshell`, bounded by `timeout`; outputs go to OUT (default: a new
# temporary directory), one file per scenario.
#   tests/otp_conformance/run.sh [OUT]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=${1:-$(mktemp -d "${TMPDIR:-/tmp}/otp-conformance.XXXXXX")}
mkdir -p "$out/ebin"
erlc -o "$out/ebin" "$here"/*.erl
run() {  # name, expression
  (cd "$out" && timeout 120 erl -noshell -pa "$out/ebin" -eval "$2, halt()." >"$out/$1.out" 2>&1) ||
    echo "run.sh: $1 failed or timed out (see $out/$1.out)" >&2
}
for m in g1 g2 g3 p1 s2 s3 s4 m1; do run "$m" "$m:main()"; done
for part in start errors dyn sofo shutdown order auto monitor intensity; do
  run "s1-$part" "s1:main($part)"
done
echo "outputs in $out"
