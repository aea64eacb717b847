#!/usr/bin/env bash
# Processes that wait, side by side with Erlang/OTP: call chains (N clients -> A -> B -> C) at
# N = 1, 100 and 10,000, and the memory of processes blocked in a call. Runs caf-otp and
# Erlang alternately, each configuration twice, and prints one table.
#
#   run_chain.sh [BUILD_DIR=build] [BLOCKED_N=20000]
#
# Environment: THREADS (scheduler threads for both sides, default 2).
# Builds nothing: expects BUILD_DIR/bench/chain_bench (a Release build is what to measure).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build=${1:-$root/build}
blocked_n=${2:-20000}
threads=${THREADS:-2}
require_bin "$build" otp_chain_bench
require_erl
bin=$build/bench/chain_bench
ebin=$bench_tmp
erlc -o "$ebin" "$root"/bench/erlang/bench_util.erl "$root"/bench/erlang/chain_bench.erl

erlang() { erl -noshell +S "$threads" +P 2000000 -pa "$ebin" -run chain_bench main "$@"; }
cpp() { "$bin" "$@" --threads "$threads"; }
value() { awk '/^RESULT/ && $2 !~ /_(min|max)$/ { print $3 }'; }

# K chains per client: about a second of work per run at each N.
declare -A k=([1]=100000 [100]=2000 [10000]=20)
printf '%-28s %14s %14s %8s\n' "benchmark" "caf-otp" "Erlang/OTP" "ratio"
for n in 1 100 10000; do
    ours=() theirs=()
    for round in 1 2; do  # alternate the order: the machine drifts
        if ((round == 1)); then
            ours+=("$(cpp chain "$n" "${k[$n]}" 3 | value)")
            theirs+=("$(erlang chain "$n" "${k[$n]}" 3 | value)")
        else
            theirs+=("$(erlang chain "$n" "${k[$n]}" 3 | value)")
            ours+=("$(cpp chain "$n" "${k[$n]}" 3 | value)")
        fi
    done
    o=$(printf '%s\n' "${ours[@]}" | sort -n | tail -1)
    t=$(printf '%s\n' "${theirs[@]}" | sort -n | tail -1)
    printf '%-28s %14.0f %14.0f %7.2fx   (runs: %s | %s; the better of each side)\n' \
        "chains/s, N = $n" "$o" "$t" "$(awk -v a="$o" -v b="$t" 'BEGIN { print a / b }')" "${ours[*]}" "${theirs[*]}"
done
# Resident bytes per blocked caller, both shapes: spawned processes (`spawn(fun() ->
# gen_server:call(...) end)`) and gen_servers calling from their handle_cast.
bytes() { awk '/^RESULT/ && $2 ~ /_bytes_per_process$/ && $2 !~ /heap/ { print $3 }'; }
o=$(cpp blocked_spawned "$blocked_n" | bytes)
t=$(erlang blocked "$blocked_n" | bytes)
printf '%-28s %14.0f %14.0f %7.2fx\n' "bytes per blocked process" "$o" "$t" "$(awk -v a="$o" -v b="$t" 'BEGIN { print a / b }')"
o=$(cpp blocked "$blocked_n" | bytes)
t=$(erlang blocked_gen_server "$blocked_n" | bytes)
printf '%-28s %14.0f %14.0f %7.2fx\n' "bytes per blocked gen_server" "$o" "$t" "$(awk -v a="$o" -v b="$t" 'BEGIN { print a / b }')"
echo "($threads scheduler threads each; Erlang +S $threads; $(nproc) cores)"
