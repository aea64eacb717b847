#!/usr/bin/env bash
# Compiles the Erlang benchmarks into a temporary directory and runs one.
#
#   run.sh gen_server call|cast [N] [R]
#   run.sh supervisor restart [N]
#   run.sh supervisor start_child [N] [R]
#   run.sh supervisor memory [N]
#   run.sh chain chain [N] [K] [R]
#   run.sh chain blocked [N]
#
# Results are printed as "RESULT <name> <value> <unit>" lines on stdout.
set -euo pipefail

usage() {
    sed -n '4,7s/^#   /usage: /p' "$0" >&2
    exit 2
}

die() {
    echo "error: $*" >&2
    exit 1
}

[[ $# -ge 2 ]] || usage
suite=$1
shift
case "$suite" in
    gen_server | supervisor | chain) module="${suite}_bench" ;;
    *) usage ;;
esac

for tool in erl erlc; do
    command -v "$tool" >/dev/null 2>&1 ||
        die "'$tool' not found in PATH; install Erlang/OTP (e.g. erlang-nox)"
done

src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ebin=$(mktemp -d "${TMPDIR:-/tmp}/caf-otp-erlang-bench.XXXXXX")
trap 'rm -rf "$ebin"' EXIT

erlc -Wall -o "$ebin" "$src_dir"/*.erl ||
    die "compiling the Erlang benchmarks failed"

# +P: the memory benchmark starts one million processes.
erl -noshell +P 2000000 -pa "$ebin" -run "$module" main "$@"
