#!/usr/bin/env bash
# What an open observer page costs: call and echo throughput on a node of 100,000 processes
# with no page and with a page open (bench/observer_bench.cpp says what "a page" asks), in
# ROUNDS pairs of runs whose order alternates (the machine drifts), and the median of the
# per-pair ratios page/no page.
#
#   run_observer.sh [BUILD_DIR=build] [ROUNDS=6]
#
# Builds nothing: expects BUILD_DIR/bench/observer_bench and BUILD_DIR/bench/net/echo_load.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build=${1:-$root/build}
rounds=${2:-6}
require_bin "$build" otp_observer_bench otp_echo_load
bin=$build/bench/observer_bench
load=$build/bench/net/echo_load

run() { "$bin" --page "$1" --echo-load "$load"; }
value() { awk -v k="$1" '$1 == "RESULT" && $2 == k { print $3 }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

calls_off=() calls_on=() echo_off=() echo_on=() calls_ratio=() echo_ratio=() cpu_off=() cpu_on=()
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
