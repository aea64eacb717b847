#!/usr/bin/env bash
# What a user's translation unit costs to compile: bench/compile/minimal_gen_server.cpp (a
# gen_server with a call, a cast and a start), with the compiler and flags of BUILD_DIR's
# compile_commands.json. Prints preprocessed lines and the median of RUNS compile times, for
# this tree's headers and, with --ref, for the headers of each git ref (checked out in a
# temporary worktree), the same file and flags.
#
#   bench/compile_time.sh [--build DIR] [--runs N] [--ref REF]...
#   bench/compile_time.sh --ref a4e2845      # before/after table
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build=$root/build
runs=3
refs=()
while (($#)); do
    case $1 in
        --build) build=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --ref) refs+=("$2"); shift 2 ;;
        *) die "unknown argument $1 (--build DIR, --runs N, --ref REF)" ;;
    esac
done

tu=$root/bench/compile/minimal_gen_server.cpp
[[ -f $build/compile_commands.json ]] || die "$build/compile_commands.json not found: configure with cmake first"
# The build's command for the file, without the launcher (ccache), its output and its input.
command=$(python3 - "$build/compile_commands.json" "$tu" <<'PY'
import json, shlex, sys
for entry in json.load(open(sys.argv[1])):
    if entry["file"] == sys.argv[2]:
        args = shlex.split(entry["command"])
        break
else:
    sys.exit("no compile command for " + sys.argv[2] + " (is otp_compile_minimal configured?)")
if "ccache" in args[0]:
    args = args[1:]
out = []
skip = False
for a in args:
    if skip:
        skip = False
        continue
    if a in ("-o", "-c"):
        skip = a == "-o"
        continue
    if a == sys.argv[2]:
        continue
    out.append(a)
print(shlex.join(out))
PY
) || die "no compile command"

# measure LABEL INCLUDE_DIR: one row of the table.
measure() {
    local label=$1 include=$2 lines times=() t i
    read -r -a args <<<"${command//-I$root\/include/-I$include}"
    lines=$("${args[@]}" -E "$tu" | wc -l)
    for ((i = 0; i < runs; i++)); do
        t=$( { /usr/bin/time -f %e "${args[@]}" -c "$tu" -o "$bench_tmp/tu.o" >/dev/null; } 2>&1 | tail -1)
        times+=("$t")
    done
    local median
    median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((runs + 1) / 2))p")
    printf '| %-24s | %12s | %10s | %s\n' "$label" "$lines" "$median" "${times[*]}"
}

printf '| %-24s | %12s | %10s | %s\n' headers "preprocessed" "median s" "runs (s)"
printf '|%s|%s|%s|%s\n' "--------------------------" "--------------" "------------" "-----"
for ref in "${refs[@]}"; do
    dir=$bench_tmp/ref-${ref//\//_}
    git -C "$root" archive --prefix=tree/ "$ref" include | tar -x -C "$bench_tmp" \
        && mv "$bench_tmp/tree" "$dir" || die "cannot read include/ of $ref"
    measure "$ref" "$dir/include"
done
measure "this tree" "$root/include"
