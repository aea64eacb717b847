#!/usr/bin/env bash
# Compares two builds of caf-otp on the gen_server and supervisor figures, in alternated
# rounds, and prints one table: the median of each figure per build and after / before.
#
#   run_pairs.sh BEFORE_BUILD_DIR AFTER_BUILD_DIR [ROUNDS=4]
#
# Each round runs both builds, before first in odd rounds and after first in even ones, so a
# machine that gets busier or quieter hits both alike. Per round: gen_server_bench (calls and
# casts between processes, blocking calls from a thread; CALL_N, CAST_N, BLOCKING_N),
# supervisor_bench restart (p50/p99, RESTART_N), start_child (START_N children) and memory per
# idle child (MEMORY_N). Builds nothing: expects both dirs' bench/gen_server_bench and
# bench/supervisor_bench (Release builds, say). Progress to stderr, the table to stdout.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

(($# >= 2)) || die "usage: run_pairs.sh BEFORE_BUILD_DIR AFTER_BUILD_DIR [ROUNDS=4]"
before=$1 after=$2 rounds=${3:-4}
call_n=${CALL_N:-500000} cast_n=${CAST_N:-2000000} blocking_n=${BLOCKING_N:-50000}
restart_n=${RESTART_N:-2000} start_n=${START_N:-20000} memory_n=${MEMORY_N:-200000}
for dir in "$before" "$after"; do require_bin "$dir" gen_server_bench supervisor_bench; done

# run_build DIR TAG: one build's runs of this round, RESULT lines to $bench_tmp/TAG.
run_build() {
    local dir=$1 tag=$2
    log "round $round: $tag"
    {
        "$(bench_bin "$dir" gen_server_bench)" --calls "$call_n" --casts "$cast_n" \
            --blocking "$blocking_n" --reps 1 --only cafotp
        "$(bench_bin "$dir" supervisor_bench)" restart "$restart_n" --only quiet
        "$(bench_bin "$dir" supervisor_bench)" start_child "$start_n" --reps 1
        "$(bench_bin "$dir" supervisor_bench)" memory "$memory_n"
    } 2>/dev/null | grep '^RESULT' | grep -v -E '_(min|max) ' >>"$bench_tmp/$tag"
}

for ((round = 1; round <= rounds; round++)); do
    if ((round % 2)); then
        run_build "$before" before
        run_build "$after" after
    else
        run_build "$after" after
        run_build "$before" before
    fi
done

# The table: every figure both builds printed, its values per round, medians and the ratio.
awk -v rounds="$rounds" '
    function median(list,    v, n, i, j, t) {
        n = split(list, v, " ")
        for (i = 1; i <= n; i++)
            for (j = i + 1; j <= n; j++)
                if (v[j] + 0 < v[i] + 0) { t = v[i]; v[i] = v[j]; v[j] = t }
        return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
    }
    FNR == 1 { tag = (FILENAME ~ /before$/) ? "before" : "after" }
    {
        name = $2; unit = $4
        if (!(name in units)) { order[++count] = name; units[name] = unit }
        values[tag, name] = values[tag, name] (values[tag, name] == "" ? "" : " ") $3
    }
    END {
        printf "| figure (%d rounds) | before | after | after / before |\n", rounds
        print "|---|---|---|---|"
        for (i = 1; i <= count; i++) {
            name = order[i]
            if (values["before", name] == "" || values["after", name] == "") continue
            b = median(values["before", name]); a = median(values["after", name])
            printf "| %s (%s) | %s | %s | %.3f |\n", name, units[name], b, a, b == 0 ? 0 : a / b
        }
    }' "$bench_tmp/before" "$bench_tmp/after"
