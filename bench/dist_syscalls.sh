#!/usr/bin/env bash
# System calls and context switches per sequential remote call, C++ -> C++ on Erlang's
# distribution protocol: strace -c -f on the server and the client for N calls (plus the
# 2,000 warm-up calls), and perf stat's context switches of both. Erlang -> Erlang alongside
# when ERLANG=1 (strace on beam.smp).
#
#   dist_syscalls.sh [BUILD_DIR=build-release] [N=20000] [tcp|uds]
#
# Starts its own epmd on a free port; stops everything it started by pid.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${1:-$root/build-release}
n=${2:-20000}
carrier=${3:-tcp}
bin=${BIN:-$build/bench/dist_bench}
work=$(mktemp -d "${TMPDIR:-/tmp}/dist-sys.XXXXXX")
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
export ERL_EPMD_PORT=$((20000 + RANDOM % 40000))
epmd -port "$ERL_EPMD_PORT" &
pids+=($!)
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$ERL_EPMD_PORT) 2>/dev/null && break; sleep 0.05; done
if [[ $carrier == uds ]]; then export DIST_CARRIER=uds DIST_DIR=$work/uds; mkdir -m 700 "$work/uds"; fi
host=$(hostname -s)
"$bin" erl server syssrv >"$work/server.out" 2>&1 &
server=$!
pids+=("$server")
for _ in $(seq 200); do grep -q '^ready' "$work/server.out" && break; sleep 0.05; done
grep -q '^ready' "$work/server.out" || { echo "error: the server did not start" >&2; cat "$work/server.out" >&2; exit 1; }
strace -c -f -o "$work/server.strace" -p "$server" 2>/dev/null &
pids+=($!)
tracer=$!
perf stat -e context-switches -x, -o "$work/server.perf" -p "$server" 2>/dev/null &
perfer=$!
pids+=("$perfer")
sleep 0.5
DIST_BENCH_CALLS_ONLY=1 perf stat -e context-switches -x, -o "$work/client.perf" \
    strace -c -f -o "$work/client.strace" "$bin" erl client syscli "syssrv@$host" "$n" 0 0 >&2
kill -INT "$tracer" "$perfer"; wait "$tracer" "$perfer" 2>/dev/null || true
calls=$((n + 2000))
total() { awk '$NF == "total" { print $(NF-2) }' "$1"; }
cs() { awk -F, '/context-switches/ { print $1 }' "$1"; }
per() { echo "scale=2; $1 / $calls" | bc; }
echo "$carrier, $calls sequential calls from a process; per round trip:"
echo "  client: $(per "$(total "$work/client.strace")") syscalls, $(per "$(cs "$work/client.perf")") context switches"
echo "  server: $(per "$(total "$work/server.strace")") syscalls, $(per "$(cs "$work/server.perf")") context switches"
echo "client strace:"; head -12 "$work/client.strace"
echo "server strace:"; head -12 "$work/server.strace"
