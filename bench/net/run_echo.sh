#!/usr/bin/env bash
# Runs the echo load modes against the bare Asio server, the Erlang server and, if given, the
# caf-otp servers, and prints one side-by-side table.
#
#   run_echo.sh [CAF_OTP_SERVER [ACCEPT_LOOP_SERVER]]
#   run_echo.sh NAME=SERVER [NAME=SERVER ...]    # e.g. before=old/echo_server after=new/echo_server
#
# CAF_OTP_SERVER is the socket server (examples/echo_server: handlers that never block);
# ACCEPT_LOOP_SERVER is examples/accept_loop (acceptor processes blocked in accept, each
# connection a process blocked in a read), column "accept-loop". Both take the same options.
# CAF_OTP_SERVER must take "--port 0 --threads N --idle-timeout 0" (no idle timeout, like the
# bare Asio server: a timeout costs a timer per connection) and print "LISTENING <port>" (and optionally
# "PID <pid>" of the process whose RSS counts) on stdout, like asio_echo_server.
# The io_uring variants (asio-uring, caf-otp-uring: $BUILD_DIR/bench/net/*_uring, built when
# liburing is installed) join the table unless URING=0; every ratio is against epoll's Asio.
# Environment: BUILD_DIR (build-net), THREADS (2), DURATION (3), WARMUP (0.5), RATE_LOOPS (50),
# ECHO_COUNTS ("1 100 1000"), IDLE_COUNTS ("10000 19000"; empty: no idle runs), URING (1).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

build_dir=${BUILD_DIR:-$root/build-net}
threads=${THREADS:-2}
duration=${DURATION:-3}
warmup=${WARMUP:-0.5}
rate_loops=${RATE_LOOPS:-50}
read -r -a echo_counts <<<"${ECHO_COUNTS:-1 100 1000}"
read -r -a idle_counts <<<"${IDLE_COUNTS-10000 19000}"  # IDLE_COUNTS= (empty) skips them
load=$build_dir/bench/net/echo_load
caf_otp_server=${1:-}
accept_loop_server=${2:-}

require_bin "$build_dir" otp_echo_load otp_asio_echo_server

declare -A server_cmd server_pid server_rss_pid server_port result
servers=(asio erlang)
server_cmd[asio]="$build_dir/bench/net/asio_echo_server --port 0 --threads $threads"
server_cmd[erlang]="$root/bench/erlang/echo/run_server.sh 0"
# Adds the caf-otp server binary $2 (if given) as column $1.
add_caf_otp_server() {
    local name=$1 binary=$2
    [[ -n $binary ]] || return 0
    if [[ -x $binary ]]; then
        servers+=("$name")
        server_cmd[$name]=$(echo_server_cmd "$binary" "$threads")
    else
        log "skipping $name: '$binary' is not an executable"
    fi
}
if [[ $caf_otp_server == *=* ]]; then
    # Named servers (two builds of one server, say): each a column of its own.
    for named in "$@"; do
        [[ $named == *=* ]] || die "mix of NAME=SERVER and plain arguments: '$named'"
        add_caf_otp_server "${named%%=*}" "${named#*=}"
    done
    caf_otp_server=""  # no io_uring column for named runs
else
    add_caf_otp_server caf-otp "$caf_otp_server"
    add_caf_otp_server accept-loop "$accept_loop_server"
fi
if [[ ${URING:-1} != 0 ]]; then
    if [[ -x $build_dir/bench/net/asio_echo_server_uring ]]; then
        servers+=(asio-uring)
        server_cmd[asio-uring]="$build_dir/bench/net/asio_echo_server_uring --port 0 --threads $threads"
    fi
    if [[ -n $caf_otp_server && -x $build_dir/bench/net/echo_server_uring ]]; then
        servers+=(caf-otp-uring)
        server_cmd[caf-otp-uring]="$build_dir/bench/net/echo_server_uring --port 0 --threads $threads --idle-timeout 0"
    fi
fi

source "$(dirname "${BASH_SOURCE[0]}")/servers.sh"

# Bytes per idle connection: a fresh server, one warm-up echo, RSS before and after K held
# connections (fresh, because RSS is not given back after connections close).
measure_idle() {
    local name=$1 k=$2 out=$tmp/idle.out pid before after
    start_server "$name"
    run_load "$name" --mode echo --conns 1 --duration 0.2 --warmup 0 >/dev/null
    before=$(rss_kb "${server_rss_pid[$name]}")
    timeout 300 "$load" --port "${server_port[$name]}" --mode idle --conns "$k" --hold 120 \
        >"$out" 2>&1 &
    pid=$!
    started+=("$pid")
    for _ in $(seq 1200); do
        grep -q '^READY' "$out" && break
        kill -0 "$pid" 2>/dev/null || die "idle $k against $name failed: $(cat "$out")"
        sleep 0.1
    done
    grep -q '^READY' "$out" || die "idle $k against $name: no READY within 120 s"
    sleep 0.5 # let the server finish the last replies' bookkeeping
    after=$(rss_kb "${server_rss_pid[$name]}")
    stop_pid "$pid"
    result[$name.idle${k}_bytes]=$(((after - before) * 1024 / k))
    result[$name.idle${k}_setup_ms]=$(awk '/^RESULT/{print $3}' "$out")
    log "$name idle $k: RSS $before -> $after kB"
    stop_server "$name"
}

log "idle memory (fresh servers)"
for k in "${idle_counts[@]}"; do
    for s in "${servers[@]}"; do measure_idle "$s" "$k"; done
done

# Throughput: all servers up, each test run against each server in turn, so noise on the
# shared cores hits them alike. Rate comes last: it leaves tens of thousands of TIME_WAIT
# sockets that slow down connect()'s port search for the idle runs.
for s in "${servers[@]}"; do start_server "$s"; done
timed=(--duration "$duration" --warmup "$warmup")
for n in "${echo_counts[@]}"; do
    for s in "${servers[@]}"; do run_load "$s" --mode echo --conns "$n" "${timed[@]}"; done
done
for s in "${servers[@]}"; do run_load "$s" --mode rate --conns "$rate_loops" "${timed[@]}"; done
for s in "${servers[@]}"; do stop_server "$s"; done

# --- table ------------------------------------------------------------------------------------
rows=("rate_conn_per_s|conn/s ($rate_loops loops)" "rate_cpu_us|server CPU us/conn")
for n in "${echo_counts[@]}"; do rows+=("echo${n}_rt_per_s|echo rt/s, $n conns"); done
for n in "${echo_counts[@]}"; do rows+=("echo${n}_cpu_us|server CPU us/rt, $n conns"); done
for n in "${echo_counts[@]}"; do rows+=("echo${n}_p99_us|p99 latency us, $n conns"); done
for k in "${idle_counts[@]}"; do rows+=("idle${k}_bytes|bytes/idle conn, $k"); done
for k in "${idle_counts[@]}"; do rows+=("idle${k}_setup_ms|setup ms, $k conns"); done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "" || b == "" || b == 0) print "n/a"; else printf "%.2f", a / b }'; }

header=$(printf '%-28s' "metric")
for s in "${servers[@]}"; do header+=$(printf ' %12s' "$s"); done
for s in "${servers[@]:1}"; do header+=$(printf ' %12s' "$s/asio"); done
echo
echo "$header"
for row in "${rows[@]}"; do
    key=${row%%|*}
    line=$(printf '%-28s' "${row#*|}")
    for s in "${servers[@]}"; do line+=$(printf ' %12s' "${result[$s.$key]:-n/a}"); done
    for s in "${servers[@]:1}"; do
        line+=$(printf ' %12s' "$(ratio "${result[$s.$key]:-}" "${result[asio.$key]:-}")")
    done
    echo "$line"
done
echo
echo "threads=$threads duration=${duration}s warmup=${warmup}s; one run on shared cores: throughput swings ±30%."
