#!/usr/bin/env bash
# Connection setup, paired: loops of connect, one echo, close (echo_load --mode rate) against the
# bare Asio server, the Erlang server and one or more caf-otp echo servers (two builds of
# examples/echo_server, say: before and after a change), a fresh server per run, ROUNDS rounds
# with the order rotating so that drifting load on the shared cores hits every server alike.
#
#   run_rate.sh NAME=SERVER [NAME=SERVER ...]
#
# Each SERVER takes "--port 0 --threads N --idle-timeout 0" and prints "LISTENING <port>".
# Prints, per number of loops: each server's median connections per second and server CPU per
# connection, and the medians of its per-round ratios to the Asio run of the same round.
# Environment: BUILD_DIR (build-net), THREADS (2), DURATION (3), WARMUP (0.5), LOOPS ("1 50":
# one client, where every hop of the accept path is latency; 50, where it is throughput),
# ROUNDS (6), ERLANG (1: include the Erlang server).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

build_dir=${BUILD_DIR:-$root/build-net}
threads=${THREADS:-2}
duration=${DURATION:-3}
warmup=${WARMUP:-0.5}
rounds=${ROUNDS:-6}
read -r -a loops <<<"${LOOPS:-1 50}"
load=$build_dir/bench/net/echo_load
require_bin "$build_dir" otp_echo_load otp_asio_echo_server
(($# > 0)) || die "usage: run_rate.sh NAME=SERVER [NAME=SERVER ...]"

declare -A server_cmd server_pid server_rss_pid server_port result
servers=(asio)
server_cmd[asio]="$build_dir/bench/net/asio_echo_server --port 0 --threads $threads"
if [[ ${ERLANG:-1} != 0 ]]; then
    require_erl
    servers+=(erlang)
    server_cmd[erlang]="$root/bench/erlang/echo/run_server.sh 0"
fi
for arg in "$@"; do
    name=${arg%%=*} binary=${arg#*=}
    [[ $name != "$arg" && -x $binary ]] || die "'$arg': expected NAME=SERVER, an executable"
    servers+=("$name")
    server_cmd[$name]=$(echo_server_cmd "$binary" "$threads")
done

source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

declare -A runs # runs[<loops>.<server>.<rate|cpu|rate_ratio|cpu_ratio>]: one value per round
n=${#servers[@]}
for l in "${loops[@]}"; do
    for ((r = 0; r < rounds; r++)); do
        # Round r starts at server r and goes forward on even rounds, backward on odd ones.
        order=()
        for ((i = 0; i < n; i++)); do
            ((r % 2 == 0)) && order+=("${servers[(r + i) % n]}") || order+=("${servers[(r - i + n * n) % n]}")
        done
        declare -A rate=() cpu=()
        for s in "${order[@]}"; do
            start_server "$s"
            run_load "$s" --mode rate --conns "$l" --duration "$duration" --warmup "$warmup"
            stop_server "$s"
            rate[$s]=${result[$s.rate_conn_per_s]}
            cpu[$s]=${result[$s.rate_cpu_us]}
        done
        for s in "${servers[@]}"; do
            runs[$l.$s.rate]+="${rate[$s]} "
            runs[$l.$s.cpu]+="${cpu[$s]} "
            runs[$l.$s.rate_ratio]+="$(awk -v a="${rate[$s]}" -v b="${rate[asio]}" 'BEGIN { printf "%.3f", a / b }') "
            runs[$l.$s.cpu_ratio]+="$(awk -v a="${cpu[$s]}" -v b="${cpu[asio]}" 'BEGIN { printf "%.3f", a / b }') "
        done
    done
done

echo
printf '%-6s %-12s %10s %10s %12s %12s   %s\n' loops server "conn/s" "CPU us" "conn/s/asio" "CPU/asio" \
    "conn/s/asio per round"
for l in "${loops[@]}"; do
    for s in "${servers[@]}"; do
        med() { tr ' ' '\n' <<<"${runs[$l.$s.$1]}" | grep . | median; }
        printf '%-6s %-12s %10.0f %10.1f %12.2f %12.2f   %s\n' "$l" "$s" "$(med rate)" "$(med cpu)" \
            "$(med rate_ratio)" "$(med cpu_ratio)" "${runs[$l.$s.rate_ratio]}"
    done
done
echo
echo "threads=$threads duration=${duration}s warmup=${warmup}s rounds=$rounds; medians of paired runs on shared cores."
