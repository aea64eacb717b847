#!/usr/bin/env bash
# Runs the caf-otp gen_server benchmark and its Erlang/OTP counterpart, then prints one table.
#
#   run_gen_server.sh [BUILD_DIR=build] [CALL_N=1000000] [CAST_N=5000000] [R=5]
#
# Environment: THREADS (scheduler threads, default 2), POLICY (stealing|sharing),
# BLOCKING_N (blocking calls from a thread, default 100000).
# Builds nothing: expects BUILD_DIR/bench/gen_server_bench. Without `erl`, the Erlang column
# shows n/a. Progress goes to stderr, the table to stdout.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build=${1:-$root/build}
call_n=${2:-1000000}
cast_n=${3:-5000000}
reps=${4:-5}
threads=${THREADS:-2}
policy=${POLICY:-stealing}
blocking_n=${BLOCKING_N:-100000}

require_bin "$build" otp_gen_server_bench
bin=$build/bench/gen_server_bench
results=$bench_tmp/results

# Progress to stderr as it happens; RESULT lines collected for the table.
run() {
    "$@" | awk '{ print | "cat 1>&2"; fflush() } /^RESULT / { print }' >>"$results"
}

run "$bin" --calls "$call_n" --casts "$cast_n" --blocking "$blocking_n" --reps "$reps" \
    --threads "$threads" --policy "$policy"

erlang="n/a"
if command -v erl >/dev/null 2>&1 && command -v erlc >/dev/null 2>&1; then
    release=$(erl -noshell -eval 'io:format("~s", [erlang:system_info(otp_release)]), halt().')
    erlang="Erlang/OTP $release"
    if ! run bash "$root/bench/erlang/run.sh" gen_server call "$call_n" "$reps" ||
        ! run bash "$root/bench/erlang/run.sh" gen_server cast "$cast_n" "$reps"; then
        echo "warning: the Erlang benchmark failed; its column shows n/a" >&2
    fi
else
    echo "note: erl/erlc not found; the Erlang column shows n/a" >&2
fi

cores=$(nproc 2>/dev/null || echo "?")
awk -v cores="$cores" -v reps="$reps" -v threads="$threads" -v policy="$policy" \
    -v erlang="$erlang" '
function human(v) {
    if (v >= 1e6) return sprintf("%.2fM", v / 1e6)
    if (v >= 1e5) return sprintf("%.0fk", v / 1e3)
    if (v >= 1e3) return sprintf("%.1fk", v / 1e3)
    return sprintf("%.0f", v)
}
function cell(name) {
    if (!(name in r)) return "n/a"
    return human(r[name]) " [" human(r[name "_min"]) "-" human(r[name "_max"]) "]"
}
function ratio(a, b) {
    if (!(a in r) || !(b in r) || r[b] == 0) return "n/a"
    return sprintf("%.2fx", r[a] / r[b])
}
function paired(name) {
    return (name in r) ? sprintf("%.2fx", r[name]) : "n/a"
}
function row(label, otp, caf, pair, erl,    line) {
    line = sprintf("%-27s %-22s %-22s %-22s %-12s %s", label, cell(otp), \
        caf == "" ? "-" : cell(caf), erl == "" ? "-" : cell(erl), \
        caf == "" ? "" : paired(pair), erl == "" ? "" : ratio(otp, erl))
    sub(/ +$/, "", line)
    print line
}
function verdict(label, x, k) {
    if (x == "") { printf "  %-38s n/a\n", label; return }
    printf "  %-38s %s (%.2fx)\n", label, (x >= k) ? "MET" : "MISSED", x
}
function quotient(a, b) {
    return ((a in r) && (b in r) && r[b] > 0) ? r[a] / r[b] : ""
}
$1 == "RESULT" { r[$2] = $3 }
END {
    printf "gen_server benchmark (%s cores, %s scheduler threads, %s, R=%s, median [min-max])\n", \
        cores, threads, policy, reps
    printf "%-27s %-22s %-22s %-22s %-12s %s\n", "", "caf-otp", "raw CAF", \
        erlang == "n/a" ? "Erlang/OTP" : erlang, "caf-otp/CAF", "caf-otp/Erlang"
    row("call round trips/s", "cafotp_call_rt_per_s", "caf_call_rt_per_s", "cafotp_call_vs_caf", \
        "erlang_call_rt_per_s")
    if ("cafotp_call5s_rt_per_s" in r)
        row("call rt/s, 5 s timeout", "cafotp_call5s_rt_per_s", "caf_call5s_rt_per_s", \
            "cafotp_call5s_vs_caf", "erlang_call_rt_per_s")
    row("cast messages/s", "cafotp_cast_msgs_per_s", "caf_send_msgs_per_s", "cafotp_cast_vs_caf", \
        "erlang_cast_msgs_per_s")
    row("blocking call from thread", "cafotp_blocking_call_rt_per_s", "", "", "")
    print ""
    print "caf-otp/CAF: median of the per-repetition ratios (both run in each repetition);"
    print "caf-otp/Erlang: ratio of the medians (separate processes, run one after the other)."
    print "caf-otp and CAF calls use no timeout unless noted; Erlang gen_server:call/2 always has 5 s."
    print "targets:"
    verdict("call >= 0.9x raw CAF request/response", \
        ("cafotp_call_vs_caf" in r) ? r["cafotp_call_vs_caf"] : "", 0.9)
    verdict("call >= 1.2x Erlang gen_server:call", \
        quotient("cafotp_call_rt_per_s", "erlang_call_rt_per_s"), 1.2)
    verdict("cast >= Erlang gen_server:cast", \
        quotient("cafotp_cast_msgs_per_s", "erlang_cast_msgs_per_s"), 1.0)
}' "$results"
