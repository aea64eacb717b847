#!/usr/bin/env bash
# What the observer costs a node of 100,000 processes: call and echo throughput without the
# observer (none), with it started and nobody watching (off), and with a page open (on)
# (bench/observer_bench.cpp says what "a page" asks), in ROUNDS rounds of one run of each,
# their order taken in turn from the six orders of the three (the machine drifts: after six
# rounds each comes first, second and last twice, and before each other as often as after).
# Prints each round and the medians, with the per-round ratios page/off and off/none.
#
#   run_observer.sh [BUILD_DIR=build] [ROUNDS=6]
#   CALLGRIND=1 run_observer.sh [BUILD_DIR] [ROUNDS=1]   instructions per second of the idle
#                node and per call and echo round trip under valgrind's callgrind, for the
#                three (CALLS=20000). The page asks at the same pace in wall time while the
#                program runs some 50 times slower, so per operation the page's share is
#                inflated that much; its cost is the idle difference per second, against what
#                the node executes per second at full load (calls/s x instructions per call).
#
# Builds nothing: expects BUILD_DIR/bench/observer_bench and BUILD_DIR/bench/net/echo_load.
# Beside throughput, each run reports the node's CPU time per call and per echo round trip.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build=${1:-$root/build}
rounds=${2:-6}
require_bin "$build" otp_observer_bench otp_echo_load
bin=$(bench_bin "$build" otp_observer_bench)
load=$(bench_bin "$build" otp_echo_load)

value() { awk -v k="$1" '$1 == "RESULT" && $2 == k { print $3 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { printf "%.10g\n", (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
m() { printf '%s\n' "$@" | median; }
range() { printf '%s\n' "$@" | sort -g | awk 'NR == 1 { lo = $1 } { hi = $1 } END { printf "%s-%s", lo, hi }'; }

# Instructions (callgrind's Ir, every thread of the node's process) per operation: the dump
# named $2 of the run whose output files start with $1, divided by $3 operations.
ir_per_op() {
  local file
  file=$(grep -l "^desc: Trigger: Client Request: $2" "$1".* | head -1)
  awk -v ops="$3" '/^(summary|totals):/ { ir = $2 } END { printf "%.0f", ir / ops }' "$file"
}

if [[ ${CALLGRIND:-0} == 1 ]]; then
  calls=${CALLS:-20000}
  for ((r = 1; r <= ${2:-1}; r++)); do
    for page in none off on; do
      out=$bench_tmp/$page.$r
      log=$(valgrind --tool=callgrind --callgrind-out-file="$out.%p" "$bin" --page "$page" \
        --echo-load "$load" --calls "$calls" 2>/dev/null)
      rt=$(awk -v r="$(value echo100_rt_per_s <<<"$log")" 'BEGIN { printf "%d", r * 3 }')
      c=$(ir_per_op "$out" calls $((5 * calls)))
      e=$(ir_per_op "$out" echo "$rt")
      i=$(ir_per_op "$out" idle 3)
      printf 'callgrind round %d, page %-4s: %s instructions per second idle, %s per call, %s per echo round trip (%s rt)\n' \
        "$r" "$page" "$i" "$c" "$e" "$rt"
    done
  done
  exit 0
fi

# The six orders of none (n), off (f) and on (o), taken in turn.
orders=("n f o" "o f n" "f n o" "o n f" "f o n" "n o f")
declare -A name=([n]=none [f]=off [o]=on)
declare -A calls cpu ccpu echo ecpu  # "$page $round" -> value
for ((r = 1; r <= rounds; r++)); do
  order=${orders[(r - 1) % 6]}
  for k in $order; do
    p=${name[$k]}
    out=$("$bin" --page "$p" --echo-load "$load")
    calls[$p $r]=$(value calls_per_s <<<"$out")
    ccpu[$p $r]=$(value calls_cpu_us_per_call <<<"$out")
    echo[$p $r]=$(value echo100_rt_per_s <<<"$out")
    ecpu[$p $r]=$(value echo_cpu_us_per_rt <<<"$out")
    cpu[$p $r]=$(value idle_cpu_ms_per_s <<<"$out")
  done
  printf 'round %d (%s; load %s): calls/s %s %s %s, echo rt/s %s %s %s, idle CPU ms/s %s %s %s (none off on)\n' \
    "$r" "$(for k in $order; do printf '%s ' "${name[$k]}"; done | sed 's/ $//')" \
    "$(cut -d' ' -f1 /proc/loadavg)" \
    "${calls[none $r]}" "${calls[off $r]}" "${calls[on $r]}" \
    "${echo[none $r]}" "${echo[off $r]}" "${echo[on $r]}" \
    "${cpu[none $r]}" "${cpu[off $r]}" "${cpu[on $r]}"
done

# column KEY ARRAY: the medians of none, off and on, and of the per-round ratios on/off and
# off/none with their range.
column() {
  local -n a=$2
  local p r on_off=() off_none=() v=()
  for p in none off on; do
    v=()
    for ((r = 1; r <= rounds; r++)); do v+=("${a[$p $r]}"); done
    printf ' %12s' "$(m "${v[@]}")"
  done
  for ((r = 1; r <= rounds; r++)); do
    on_off+=("$(ratio "${a[on $r]}" "${a[off $r]}")")
    off_none+=("$(ratio "${a[off $r]}" "${a[none $r]}")")
  done
  printf ' %7s (%s) %7s (%s)   %s\n' "$(m "${on_off[@]}")" "$(range "${on_off[@]}")" \
    "$(m "${off_none[@]}")" "$(range "${off_none[@]}")" "$1"
}
printf '\nmedians of %d rounds: %10s %12s %12s %19s %19s\n' "$rounds" none off on \
  "page/off (range)" "off/none (range)"
column "calls/s, one client process" calls
column "echo round trips/s, 100 connections" echo
column "node CPU us per call" ccpu
column "node CPU us per echo round trip" ecpu
column "node CPU ms/s, idle" cpu
