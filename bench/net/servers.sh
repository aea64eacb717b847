# shellcheck shell=bash
# The echo benchmarks' servers and load runs, sourced by run_echo.sh and run_rate.sh after
# ../lib.sh. The runner declares the associative arrays `server_cmd` (name -> command line),
# `server_pid`, `server_port`, `server_rss_pid` and `result`, and sets `load` (echo_load).
# Every PID started is kept in `started`; only those are ever signalled, and all are stopped at
# exit.

tmp=$bench_tmp
started=() # every PID this script started; only these are ever signalled

# Sends SIGTERM, waits up to 10 s, then SIGKILL. Only for PIDs in $started.
stop_pid() {
    local pid=$1
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

cleanup() {
    local pid
    for pid in "${started[@]}"; do stop_pid "$pid"; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Starts server $1 and waits up to 30 s for its LISTENING line.
start_server() {
    local name=$1 out=$tmp/$1.out pid
    : >"$out"
    ${server_cmd[$name]} >"$out" 2>"$tmp/$name.err" </dev/null &
    pid=$!
    started+=("$pid")
    for _ in $(seq 300); do
        grep -q '^LISTENING ' "$out" && break
        kill -0 "$pid" 2>/dev/null || die "$name server exited: $(cat "$tmp/$name.err")"
        sleep 0.1
    done
    grep -q '^LISTENING ' "$out" || die "$name server did not listen within 30 s"
    server_pid[$name]=$pid
    server_port[$name]=$(awk '/^LISTENING /{print $2; exit}' "$out")
    # The Erlang script's child is the VM; a server may name the process whose RSS counts.
    server_rss_pid[$name]=$(awk '/^PID /{print $2; exit}' "$out")
    server_rss_pid[$name]=${server_rss_pid[$name]:-$pid}
}

stop_server() { stop_pid "${server_pid[$1]}"; }

rss_kb() { awk '/^VmRSS:/{print $2}' "/proc/$1/status"; }

# utime + stime of a process, in clock ticks. The command name in field 2 may hold spaces.
cpu_ticks() { sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'; }
clk_tck=$(getconf CLK_TCK)

# Runs echo_load against server $1 with the remaining arguments; stores its RESULT lines as
# result[<server>.<name>].
run_load() {
    local name=$1 line key value out cpu_before
    shift
    cpu_before=$(cpu_ticks "${server_rss_pid[$name]}")
    out=$(timeout 120 "$load" --port "${server_port[$name]}" "$@") ||
        die "echo_load $* against $name failed"
    while read -r line; do
        read -r _ key value _ <<<"$line"
        result[$name.$key]=$value
        log "$name $key $value"
        # Server CPU per operation is steadier than throughput on shared cores (see the notes).
        if [[ $key == *_total_* ]]; then
            result[$name.${key%%_total_*}_cpu_us]=$(awk -v t=$(($(cpu_ticks "${server_rss_pid[$name]}") - cpu_before)) \
                -v hz="$clk_tck" -v n="$value" 'BEGIN { printf "%.1f", t * 1e6 / hz / n }')
        fi
    done < <(grep '^RESULT ' <<<"$out")
}

