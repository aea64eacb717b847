#!/usr/bin/env bash
# Runs the caf-otp supervisor benchmark and its Erlang/OTP counterpart, then prints one table.
#
#   run_supervisor.sh [BUILD_DIR=build] [RESTART_N=2000] [START_N=100000] [MEMORY_N=1000000] [R=5]
#
# Environment: THREADS (scheduler threads of the main figures, default 2), STOP_LIMIT (seconds
# given to each orderly stop of a large supervisor before the benchmark gives up, default 60),
# SKIP_STOP=1 (start_child: skip the informational orderly stops, which take long).
# Builds nothing: expects BUILD_DIR/bench/supervisor_bench. Without `erl`, the Erlang column
# shows n/a. Progress goes to stderr, the table to stdout.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build=${1:-$root/build}
restart_n=${2:-2000}
start_n=${3:-100000}
memory_n=${4:-1000000}
reps=${5:-5}
threads=${THREADS:-2}
stop_limit=${STOP_LIMIT:-60}

require_bin "$build" otp_supervisor_bench
bin=$build/bench/supervisor_bench
results=$bench_tmp/results

# Progress to stderr as it happens; RESULT lines collected for the table. The Erlang memory
# run prints its start time as text only: turn it into a RESULT line too.
run() {
    "$@" | awk '{ print | "cat 1>&2"; fflush() }
        /^RESULT / { print }
        /^started [0-9]+ children in [0-9.]+ s$/ { print "RESULT erlang_memory_start_s", $(NF-1), "s" }' \
        >>"$results"
}

start_args=()
[[ ${SKIP_STOP:-0} == 1 ]] && start_args=(--only async)

# caf-otp. The restart latency is also measured with 1 and 4 scheduler threads.
run "$bin" restart "$restart_n" --threads "$threads"
for t in 1 2 4; do
    [[ $t == "$threads" ]] || run "$bin" restart "$restart_n" --threads "$t" --only quiet
done
run "$bin" start_child "$start_n" --threads "$threads" --reps "$reps" --stop-limit "$stop_limit" \
    "${start_args[@]}"
run "$bin" memory "$memory_n" --threads "$threads" --stop-limit "$stop_limit"

erlang="n/a"
if command -v erl >/dev/null 2>&1 && command -v erlc >/dev/null 2>&1; then
    release=$(erl -noshell -eval 'io:format("~s", [erlang:system_info(otp_release)]), halt().')
    erlang="Erlang/OTP $release"
    if ! run bash "$root/bench/erlang/run.sh" supervisor restart "$restart_n" ||
        ! run bash "$root/bench/erlang/run.sh" supervisor start_child "$start_n" "$reps" ||
        ! run bash "$root/bench/erlang/run.sh" supervisor memory "$memory_n"; then
        echo "warning: an Erlang benchmark failed; its figures show n/a" >&2
    fi
else
    echo "note: erl/erlc not found; the Erlang column shows n/a" >&2
fi

cores=$(nproc 2>/dev/null || echo "?")
awk -v cores="$cores" -v threads="$threads" -v reps="$reps" -v erlang="$erlang" \
    -v restart_n="$restart_n" -v start_n="$start_n" -v memory_n="$memory_n" '
function human(v) {
    if (v >= 1e6) return sprintf("%.2fM", v / 1e6)
    if (v >= 1e5) return sprintf("%.0fk", v / 1e3)
    if (v >= 1e4) return sprintf("%.1fk", v / 1e3)
    if (v >= 100) return sprintf("%.0f", v)
    if (v >= 1) return sprintf("%.1f", v)
    return sprintf("%.2f", v)
}
# A count for a label: 10000 -> 10k, 1000000 -> 1M.
function count(v) {
    if (v >= 1e6 && v % 1e6 == 0) return (v / 1e6) "M"
    if (v >= 1e3 && v % 1e3 == 0) return (v / 1e3) "k"
    return v
}
function has(n) { return n in r }
function val(n) { return has(n) ? human(r[n]) : "n/a" }
function spread(n) {
    if (!has(n)) return "n/a"
    if (!((n "_min") in r)) return human(r[n])
    return human(r[n]) " [" human(r[n "_min"]) "-" human(r[n "_max"]) "]"
}
# caf-otp / Erlang; `lower` marks figures where lower is better.
function ratio(a, b, lower) {
    if (!has(a) || !has(b) || r[b] == 0) return ""
    return sprintf("%.2fx%s", r[a] / r[b], lower ? " (lower is better)" : "")
}
function row(label, otp, erl, lower, use_spread) {
    line = sprintf("%-44s %-24s %-24s %s", label, use_spread ? spread(otp) : val(otp), \
        erl == "" ? "-" : (use_spread ? spread(erl) : val(erl)), erl == "" ? "" : ratio(otp, erl, lower))
    sub(/ +$/, "", line)
    print line
}
function verdict(label, ok, detail) {
    printf "  %-52s %s (%s)\n", label, ok == "" ? "n/a" : (ok ? "MET" : "MISSED"), detail
}
$1 == "RESULT" { r[$2] = $3 }
END {
    printf "supervisor benchmark (%s cores, caf-otp with %s scheduler threads, work stealing)\n", \
        cores, threads
    printf "%-44s %-24s %-24s %s\n", "", "caf-otp", erlang == "n/a" ? "Erlang/OTP" : erlang, \
        "caf-otp vs Erlang"
    row("restart latency p50 (us, thrown exc.)", "cafotp_restart_p50_us", "erlang_restart_p50_us", 1)
    row("restart latency p99 (us)", "cafotp_restart_p99_us", "erlang_restart_p99_us", 1)
    row("restart p50, default logger to a file (us)", "cafotp_restart_logged_p50_us", \
        "erlang_restart_logged_p50_us", 1)
    row("restart p99, default logger to a file (us)", "cafotp_restart_logged_p99_us", \
        "erlang_restart_logged_p99_us", 1)
    row("restart p50, one supervisor for all (us)", "cafotp_restart_single_sup_p50_us", \
        "erlang_restart_single_sup_p50_us", 1)
    row("restart p50, reports formatted, dropped (us)", "cafotp_restart_nullsink_p50_us", "", 1)
    for (t = 1; t <= 4; t *= 2)
        row(sprintf("restart p50 with %d scheduler thread%s (us)", t, t == 1 ? "" : "s"), \
            "cafotp_restart_t" t "_p50_us", "erlang_restart_p50_us", 1)
    row(sprintf("start_child rate, 10k (children/s, R=%s)", reps), "cafotp_start_child_10k_per_s", \
        "erlang_start_child_10k_per_s", 0, 1)
    row(sprintf("start_child rate, %s (children/s, R=%s)", count(start_n), reps), \
        "cafotp_start_child_per_s", "erlang_start_child_per_s", 0, 1)
    row("blocking start_child from a thread, 10k (/s)", "cafotp_start_child_blocking_10k_per_s", "", 0, 1)
    row("orderly stop of 10k children (s)", "cafotp_sup_stop_10k_s", "")
    if (has("cafotp_sup_stop_s_timed_out"))
        printf "%-44s %s\n", sprintf("orderly stop of %s children (s)", count(start_n)), \
            sprintf("> %s (gave up)", val("cafotp_sup_stop_s"))
    else
        row(sprintf("orderly stop of %s children (s)", count(start_n)), "cafotp_sup_stop_s", "")
    row(sprintf("memory per idle child, %s (bytes)", count(memory_n)), \
        "cafotp_bytes_per_idle_child", "erlang_bytes_per_idle_child", 1)
    row(sprintf("time to start %s children (s)", count(memory_n)), "cafotp_memory_start_s", \
        "erlang_memory_start_s", 1)
    if (has("cafotp_memory_stop_timed_out"))
        printf "%-44s %s\n", sprintf("orderly stop of %s children (s)", count(memory_n)), \
            sprintf("> %s (gave up)", val("cafotp_memory_stop_s"))
    else
        row(sprintf("orderly stop of %s children (s)", count(memory_n)), "cafotp_memory_stop_s", "")
    print ""
    print "restart: p50/p99 over " restart_n " restarts, 10 per fresh supervisor; logger off unless noted"
    print "(caf-otp: level above error; Erlang: primary level none). Rates: median [min-max] of R runs."
    print "Memory: caf-otp VmRSS growth / N; Erlang erlang:memory(total) growth / N."
    print "targets:"
    q = (has("cafotp_restart_p50_us") && has("erlang_restart_p50_us")) ? \
        r["cafotp_restart_p50_us"] / r["erlang_restart_p50_us"] : ""
    verdict("restart p50 <= Erlang (aim: half)", q == "" ? "" : q <= 1, \
        q == "" ? "n/a" : sprintf("%.2fx", q))
    q = (has("cafotp_start_child_10k_per_s") && has("erlang_start_child_10k_per_s")) ? \
        r["cafotp_start_child_10k_per_s"] / r["erlang_start_child_10k_per_s"] : ""
    verdict("start_child rate >= 2x Erlang, 10k", q == "" ? "" : q >= 2, \
        q == "" ? "n/a" : sprintf("%.2fx", q))
    q = (has("cafotp_start_child_per_s") && has("erlang_start_child_per_s")) ? \
        r["cafotp_start_child_per_s"] / r["erlang_start_child_per_s"] : ""
    verdict("start_child rate >= 2x Erlang, " count(start_n), q == "" ? "" : q >= 2, \
        q == "" ? "n/a" : sprintf("%.2fx", q))
    q = has("cafotp_bytes_per_idle_child") ? r["cafotp_bytes_per_idle_child"] : ""
    verdict("<= 1.6 KB (1600 B) per idle child", q == "" ? "" : q <= 1600, \
        q == "" ? "n/a" : sprintf("%d B", q))
}' "$results"
