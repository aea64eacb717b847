#!/usr/bin/env bash
# Distribution between two OS processes on this machine, over TCP (loopback) and Unix sockets:
# sequential remote gen_server calls from a process and from a plain thread (round trips/s,
# p50, p99), pipelined casts/s, 4 KiB casts/s and calls/s, 10 processes calling at once, the
# client's resident memory growth per completed call, and its peak resident growth while it
# floods the server with casts (small and 4 KiB), for
#   cpp_erl   C++ -> C++ on Erlang's distribution protocol (otp/dist/erlang.hpp), TCP
#   cpp_uds   the same over Unix sockets (no epmd)
#   cpp_basp  C++ -> C++ on caf-otp's BASP distribution (otp/dist/distribution.hpp)
#   erl_erl   Erlang -> Erlang
#   erl_cpp   an Erlang client -> a C++ server (Erlang's protocol)
#   cpp_to_erl a C++ client -> an Erlang server
#   before    cpp_erl with the binary BEFORE_BIN (if set): an older build, paired in the same run
#   typed     cpp_erl with C++ request types (records through inspect) instead of terms, if
#             TYPED=1
# Each repetition runs every pair once, in one order and then the reverse, with a fresh server
# and client process per pair; the table shows the median [min-max] over repetitions.
#
#   run_dist.sh [BUILD_DIR=build-release] [R=5] [N=20000] [CAST_N=200000] [BLOB_N=50000]
#
# Starts its own epmd on a free port and stops it, and every node it starts, by pid. Builds
# nothing: expects BUILD_DIR/bench/dist_bench. Progress to stderr, the table to stdout.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build=${1:-$root/build-release}
reps=${2:-5}
counts=("${3:-20000}" "${4:-200000}" "${5:-50000}")
bin=$build/bench/dist_bench
[[ -x $bin ]] || { echo "error: $bin not found; ninja -C $build otp_dist_bench" >&2; exit 1; }
for tool in erl erlc epmd; do
    command -v "$tool" >/dev/null || { echo "error: $tool not found (setup.sh --bench)" >&2; exit 1; }
done

work=$bench_tmp

erlc -Wall -o "$work" "$root"/bench/erlang/bench_util.erl "$root"/bench/erlang/dist_bench.erl

free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 40000))
        (echo >/dev/tcp/127.0.0.1/$p) 2>/dev/null || { echo $p; return; }
    done
}
export ERL_EPMD_PORT
ERL_EPMD_PORT=$(free_port)
epmd -port "$ERL_EPMD_PORT" &
bench_pids+=($!)
sleep 0.3
host=$(hostname -s)
cookie=distbench
# exec: a server started in the background is then the Erlang node itself, so that $! is the
# pid that stop_server kills (not a subshell that would leave the node running).
erl_node() { exec erl -noshell -sname "$1" -setcookie $cookie -start_epmd false -pa "$work" "${@:2}"; }

# Starts a server in the background, waits for its "ready" line; its address (if it printed
# one) is left in $address, its pid in $server.
start_server() {
    local out=$work/server.out
    : >"$out"
    "$@" >"$out" 2>"$work/server.err" &
    server=$!
    bench_pids+=("$server")
    for _ in $(seq 300); do
        grep -q '^ready' "$out" && break
        sleep 0.05
    done
    grep -q '^ready' "$out" || { echo "error: server did not start: $*" >&2; cat "$work/server.err" >&2; exit 1; }
    address=$(awk '/^address/ { print $2 }' "$out")
}
stop_server() {
    kill -KILL "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
}

results=$work/results
seq=0
run_pair() {
    local name=$1 k=$((++seq))
    # Fresh node names per pair: epmd may not have seen the last server's end yet.
    rm -rf "$work/basp" && mkdir -m 700 "$work/basp"
    case $name in
        cpp_erl) start_server "$bin" erl server cppsrv$k
                 client=("$bin" erl client cppcli$k "cppsrv$k@$host") ;;
        cpp_uds) export DIST_CARRIER=uds DIST_DIR=$work/uds
                 rm -rf "$work/uds" && mkdir -m 700 "$work/uds"
                 start_server "$bin" erl server cppsrv$k
                 client=("$bin" erl client cppcli$k "cppsrv$k@$host") ;;
        typed) export DIST_TYPED=1
               start_server "$bin" erl server cppsrv$k
               client=("$bin" erl client cppcli$k "cppsrv$k@$host") ;;
        before) start_server "$BEFORE_BIN" erl server cppsrv$k
                client=("$BEFORE_BIN" erl client cppcli$k "cppsrv$k@$host") ;;
        cpp_basp) start_server "$bin" basp server "$work/basp"
                  client=("$bin" basp client "$work/basp" "beta@localhost:${address##*:}") ;;
        erl_erl) start_server erl_node srv$k -run dist_bench server
                 client=(erl_node cli$k -run dist_bench client "srv$k@$host") ;;
        erl_cpp) start_server "$bin" erl server cppsrv$k
                 client=(erl_node cli$k -run dist_bench client "cppsrv$k@$host") ;;
        cpp_to_erl) start_server erl_node srv$k -run dist_bench server
                    client=("$bin" erl client cppcli$k "srv$k@$host") ;;
    esac
    echo "== $name" >&2
    # A client that fails costs its pair's figures (n/a), not the run.
    { "${client[@]}" "${counts[@]}" || echo "error: $name client failed" >&2; } |
        awk -v n="$name" '{ print | "cat 1>&2"; fflush() } /^RESULT / { print n "_" $2, $3 }' >>"$results"
    stop_server
    unset DIST_CARRIER DIST_DIR DIST_TYPED
}

pairs=(cpp_erl cpp_uds cpp_basp erl_erl erl_cpp cpp_to_erl)
[[ -n ${BEFORE_BIN:-} ]] && pairs+=(before)
[[ ${TYPED:-} == 1 ]] && pairs+=(typed)
[[ -n ${PAIRS:-} ]] && read -r -a pairs <<<"$PAIRS"
for ((r = 1; r <= reps; ++r)); do
    order=("${pairs[@]}")
    if ((r % 2 == 0)); then order=(); for ((i = ${#pairs[@]} - 1; i >= 0; --i)); do order+=("${pairs[$i]}"); done; fi
    echo "-- repetition $r/$reps: ${order[*]}" >&2
    for p in "${order[@]}"; do run_pair "$p"; done
done

release=$(erl -noshell -eval 'io:format("~s", [erlang:system_info(otp_release)]), halt().')
awk -v reps="$reps" -v n="${counts[*]}" -v otp="$release" -v cores="$(nproc)" '
{ v[$1] = v[$1] " " $2 }
function median(key,    a, k, i, j, t) {
    k = split(v[key], a, " ")
    for (i = 1; i <= k; ++i) for (j = i + 1; j <= k; ++j) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    lo[key] = a[1]; hi[key] = a[k]
    return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
}
function human(x) { return x >= 1e4 ? sprintf("%.1fk", x / 1e3) : sprintf("%.0f", x) }
function cell(key) { if (!(key in v)) return "n/a"; m[key] = median(key)
    return sprintf("%s [%s-%s]", human(m[key]), human(lo[key]), human(hi[key])) }
function ratio(a, b) { return (a in m && b in m && m[b] > 0) ? sprintf("%.2fx", m[a] / m[b]) : "n/a" }
function base(row) { return row ~ /^thread_/ ? substr(row, 8) : row }
END {
    split("cpp_erl cpp_uds cpp_basp erl_erl erl_cpp cpp_to_erl before typed", col, " ")
    rows = split("call_rt_per_s call_p50_us call_p99_us thread_call_rt_per_s thread_call_p50_us thread_call_p99_us cast_per_s cast4k_per_s call4k_rt_per_s conc10_rt_per_s retained_b_per_call cast_peak_kib cast4k_peak_kib", row, " ")
    printf "distribution, two OS processes on one machine (%s cores, OTP %s, R=%s, N C B = %s; median [min-max])\n", cores, otp, reps, n
    printf "%-20s %-20s %-20s %-20s %-20s %-20s %-20s %-20s %-20s %-8s %-8s %-8s %s\n", "", "C++>C++ erl TCP", "C++>C++ erl UDS", "C++>C++ BASP", "Erlang>Erlang", "Erlang>C++", "C++>Erlang", "before (TCP)", "typed (TCP)", "TCP/Erl", "UDS/Erl", "TCP/bef", "typ/TCP"
    for (r = 1; r <= rows; ++r) {
        line = sprintf("%-20s", row[r])
        for (c = 1; c <= 8; ++c) line = line sprintf(" %-20s", cell(col[c] "_" row[r]))
        line = line sprintf(" %-8s %-8s %-8s %s", ratio("cpp_erl_" row[r], "erl_erl_" base(row[r])), ratio("cpp_uds_" row[r], "erl_erl_" base(row[r])), ratio("cpp_erl_" row[r], "before_" row[r]), ratio("typed_" row[r], "cpp_erl_" row[r]))
        print line
    }
    print "TCP/Erl, UDS/Erl: C++>C++ on the Erlang protocol over Erlang>Erlang (thread_* rows: over Erlang process calls, Erlang has no plain threads); TCP/bef: over the BEFORE_BIN build; typ/TCP: typed requests over terms. Ratios of medians; for *_us, retained_b and *_peak_kib lower is better."
    print "cast_peak_kib, cast4k_peak_kib: how far the sending node\047s resident memory rose above where it was before the first flood while it cast CAST_N small, then BLOB_N 4 KiB messages as fast as it could (the high-water mark, KiB; what the first flood left counts in the second)."
}' "$results"
