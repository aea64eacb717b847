#!/usr/bin/env bash
# System calls and context switches per sequential remote call, C++ -> C++ on Erlang's
# distribution protocol, for N calls (plus the 2,000 warm-up calls): perf stat's counts
# (context switches, system calls, futex calls) of the server and the client, then one
# strace -c -f run of both for the breakdown (strace slows every call, which inflates the
# futex count there: the scheduler's idle polls).
#
#   dist_syscalls.sh [BUILD_DIR=build-release] [N=20000] [tcp|uds]
#
# Starts its own epmd on a free port; stops everything it started by pid.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
build=${1:-$root/build-release}
n=${2:-20000}
carrier=${3:-tcp}
bin=${BIN:-$build/bench/dist_bench}
work=$bench_tmp
export ERL_EPMD_PORT=$((20000 + RANDOM % 40000))
epmd -port "$ERL_EPMD_PORT" &
bench_pids+=($!)
for _ in $(seq 100); do (echo >/dev/tcp/127.0.0.1/$ERL_EPMD_PORT) 2>/dev/null && break; sleep 0.05; done
if [[ $carrier == uds ]]; then export DIST_CARRIER=uds DIST_DIR=$work/uds; mkdir -m 700 "$work/uds"; fi
host=$(hostname -s)
"$bin" erl server syssrv >"$work/server.out" 2>&1 &
server=$!
bench_pids+=("$server")
for _ in $(seq 200); do grep -q '^ready' "$work/server.out" && break; sleep 0.05; done
grep -q '^ready' "$work/server.out" || { echo "error: the server did not start" >&2; cat "$work/server.out" >&2; exit 1; }
# The counts first, without strace (which switches on every system call it stops).
events=context-switches,raw_syscalls:sys_enter,syscalls:sys_enter_futex
perf stat -e "$events" -x, -o "$work/server.perf" -p "$server" 2>/dev/null &
perfer=$!
bench_pids+=("$perfer")
sleep 0.5
DIST_BENCH_CALLS_ONLY=1 perf stat -e "$events" -x, -o "$work/client.perf" \
    "$bin" erl client syscli1 "syssrv@$host" "$n" 0 0 >&2
kill -INT "$perfer"; wait "$perfer" 2>/dev/null || true
# Then the system calls.
strace -c -f -o "$work/server.strace" -p "$server" 2>/dev/null &
tracer=$!
bench_pids+=("$tracer")
sleep 0.5
DIST_BENCH_CALLS_ONLY=1 strace -c -f -o "$work/client.strace" \
    "$bin" erl client syscli2 "syssrv@$host" "$n" 0 0 >&2
kill -INT "$tracer"; wait "$tracer" 2>/dev/null || true
calls=$((n + 2000))
count() { awk -F, -v e="$2" '$3 == e { print $1 }' "$1"; }
per() { echo "scale=2; $1 / $calls" | bc; }
echo "$carrier, $calls sequential calls from a process; per round trip (perf stat):"
for side in client server; do
    f=$work/$side.perf
    all=$(count "$f" raw_syscalls:sys_enter) fx=$(count "$f" syscalls:sys_enter_futex)
    echo "  $side: $(per "$all") system calls ($(per "$fx") futex, $(per "$((all - fx))") others), $(per "$(count "$f" context-switches)") context switches"
done
echo "client strace:"; head -9 "$work/client.strace"
echo "server strace:"; head -9 "$work/server.strace"
