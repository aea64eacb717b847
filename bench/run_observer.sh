#!/usr/bin/env bash
# What an open observer page costs: call and echo throughput on a node of 100,000 processes
# with no page and with a page open (bench/observer_bench.cpp says what "a page" asks), in
# ROUNDS pairs of runs whose order alternates (the machine drifts), and the median of the
# per-pair ratios page/no page.
#
#   run_observer.sh [BUILD_DIR=build] [ROUNDS=6]
#   CALLGRIND=1 run_observer.sh [BUILD_DIR] [ROUNDS=1]   instructions per second of the idle
#                node and per call and echo round trip under valgrind's callgrind, no page /
#                page open (CALLS=20000). The page asks at the same pace in wall time while the
#                program runs some 50 times slower, so per operation the page's share is
#                inflated that much; its cost is the idle difference per second, against what
#                the node executes per second at full load (calls/s x instructions per call).
#
# Builds nothing: expects BUILD_DIR/bench/observer_bench and BUILD_DIR/bench/net/echo_load.
# Beside throughput, each run reports the node's CPU time per call and per echo round trip,
# which the machine's load changes less.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build=${1:-$root/build}
rounds=${2:-6}
require_bin "$build" otp_observer_bench otp_echo_load
bin=$build/bench/observer_bench
load=$build/bench/net/echo_load

run() { "$bin" --page "$1" --echo-load "$load"; }
value() { awk -v k="$1" '$1 == "RESULT" && $2 == k { print $3 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

# Instructions (callgrind's Ir, every thread of the node's process) per operation: the dump
# named $2 of the run whose output files start with $1, divided by $3 operations.
ir_per_op() {
  local file
  file=$(grep -l "^desc: Trigger: Client Request: $2" "$1".* | head -1)
  awk -v ops="$3" '/^(summary|totals):/ { ir = $2 } END { printf "%.0f", ir / ops }' "$file"
}

if [[ ${CALLGRIND:-0} == 1 ]]; then
  calls=${CALLS:-20000}
  out=$(mktemp -d)
  for ((r = 1; r <= ${2:-1}; r++)); do
    for page in off on; do
      log=$(valgrind --tool=callgrind --callgrind-out-file="$out/$page.$r.%p" "$bin" --page "$page" \
        --echo-load "$load" --calls "$calls" 2>/dev/null)
      rt=$(value echo100_rt_per_s <<<"$log")
      c=$(ir_per_op "$out/$page.$r" calls $((5 * calls)))
      e=$(ir_per_op "$out/$page.$r" echo "$(awk -v r="$rt" 'BEGIN { printf "%d", r * 3 }')")
      i=$(ir_per_op "$out/$page.$r" idle 3)
      printf 'callgrind round %d, page %-3s: %s instructions per second idle, %s per call, %s per echo round trip (%s rt)\n' \
        "$r" "$page" "$i" "$c" "$e" "$(awk -v r="$rt" 'BEGIN { printf "%d", r * 3 }')"
    done
  done
  rm -rf "$out"
  exit 0
fi

calls_off=() calls_on=() echo_off=() echo_on=() calls_ratio=() echo_ratio=() cpu_off=() cpu_on=()
ccpu_ratio=() ecpu_ratio=()
for ((r = 1; r <= rounds; r++)); do
  if ((r % 2)); then
    off=$(run off)
    on=$(run on)
  else
    on=$(run on)
    off=$(run off)
  fi
  c0=$(value calls_per_s <<<"$off") c1=$(value calls_per_s <<<"$on")
  e0=$(value echo100_rt_per_s <<<"$off") e1=$(value echo100_rt_per_s <<<"$on")
  calls_off+=("$c0") calls_on+=("$c1") echo_off+=("$e0") echo_on+=("$e1")
  cpu_off+=("$(value idle_cpu_ms_per_s <<<"$off")") cpu_on+=("$(value idle_cpu_ms_per_s <<<"$on")")
  calls_ratio+=("$(awk -v a="$c1" -v b="$c0" 'BEGIN { printf "%.3f", a / b }')")
  echo_ratio+=("$(awk -v a="$e1" -v b="$e0" 'BEGIN { printf "%.3f", a / b }')")
  cc0=$(value calls_cpu_us_per_call <<<"$off") cc1=$(value calls_cpu_us_per_call <<<"$on")
  ec0=$(value echo_cpu_us_per_rt <<<"$off") ec1=$(value echo_cpu_us_per_rt <<<"$on")
  ccpu_ratio+=("$(ratio "$cc1" "$cc0")") ecpu_ratio+=("$(ratio "$ec1" "$ec0")")
  printf 'round %d CPU per operation: call %s -> %s us (%s), echo rt %s -> %s us (%s)\n' "$r" \
    "$cc0" "$cc1" "${ccpu_ratio[-1]}" "$ec0" "$ec1" "${ecpu_ratio[-1]}"
  printf 'round %d (%s first): idle CPU ms/s %s -> %s, calls/s %s -> %s (%s), echo rt/s %s -> %s (%s)\n' \
    "$r" "$( ((r % 2)) && echo "no page" || echo "page")" "${cpu_off[-1]}" "${cpu_on[-1]}" \
    "$c0" "$c1" "${calls_ratio[-1]}" "$e0" "$e1" "${echo_ratio[-1]}"
done

m() { printf '%s\n' "$@" | median; }
printf '\n%-30s %12s %12s %22s\n' "median of $rounds rounds" "no page" "page open" "page/no page (pairs)"
printf '%-30s %12.1f %12.1f\n' "node CPU ms/s, idle" "$(m "${cpu_off[@]}")" "$(m "${cpu_on[@]}")"
printf '%-30s %12.0f %12.0f %22s\n' "calls/s (one client process)" "$(m "${calls_off[@]}")" \
  "$(m "${calls_on[@]}")" "$(m "${calls_ratio[@]}")"
printf '%-30s %12.0f %12.0f %22s\n' "echo rt/s (100 connections)" "$(m "${echo_off[@]}")" \
  "$(m "${echo_on[@]}")" "$(m "${echo_ratio[@]}")"
printf '%-30s %12s %12s %22s\n' "CPU per call, page/no page" "" "" "$(m "${ccpu_ratio[@]}")"
printf '%-30s %12s %12s %22s\n' "CPU per echo rt, page/no page" "" "" "$(m "${ecpu_ratio[@]}")"
