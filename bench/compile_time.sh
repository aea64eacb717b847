#!/usr/bin/env bash
# What a user's translation unit costs to compile: bench/compile/minimal_gen_server.cpp (a
# gen_server with a call, a cast and a start; --tu NAME for another file of bench/compile/:
# minimal_process, minimal_receive, minimal_supervisor), with the compiler and flags of BUILD_DIR's
# compile_commands.json. Prints preprocessed lines and the median of RUNS compile times, for
# this tree's headers and, with --ref, for the headers of each git ref (extracted to a
# temporary directory), the same file and flags, in alternated rounds. Wall time swings with
# the machine's load; the CPU time (user + system) is the steadier figure.
#
#   bench/compile_time.sh [--build DIR] [--runs N] [--tu NAME] [--ref REF]...
#   bench/compile_time.sh --ref a4e2845      # before/after table
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

build=$root/build
runs=3
tu_name=minimal_gen_server
refs=()
while (($#)); do
    case $1 in
        --build) build=$2; shift 2 ;;
        --runs) runs=$2; shift 2 ;;
        --ref) refs+=("$2"); shift 2 ;;
        --tu) tu_name=${2%.cpp}; shift 2 ;;
        *) die "unknown argument $1 (--build DIR, --runs N, --tu NAME, --ref REF)" ;;
    esac
done

tu=$root/bench/compile/$tu_name.cpp
[[ -f $tu ]] || die "$tu not found"
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

# The header trees, in order: each ref's include/ (extracted), then this tree's.
labels=() includes=()
for ref in "${refs[@]}"; do
    dir=$bench_tmp/ref-${ref//\//_}
    git -C "$root" archive --prefix=tree/ "$ref" include | tar -x -C "$bench_tmp" \
        && mv "$bench_tmp/tree" "$dir" || die "cannot read include/ of $ref"
    labels+=("$ref") includes+=("$dir/include")
done
labels+=("this tree") includes+=("$root/include")

# compile I: one compile with tree I's headers; appends "wall cpu" (cpu: user + system) to
# $bench_tmp/times-I.
compile() {
    local i=$1
    read -r -a args <<<"${command//-I$root\/include/-I${includes[i]}}"
    { /usr/bin/time -f '%e %U %S' "${args[@]}" -c "$tu" -o "$bench_tmp/tu.o" >/dev/null; } 2>&1 \
        | tail -1 | awk '{ printf "%s %.2f\n", $1, $2 + $3 }' >>"$bench_tmp/times-$i"
}

# Rounds alternate the trees' order (first to last, then last to first), so that a machine
# that gets busier or quieter during the run weighs on every tree alike.
count=${#includes[@]}
for ((r = 0; r < runs; r++)); do
    for ((k = 0; k < count; k++)); do
        if ((r % 2)); then compile $((count - 1 - k)); else compile "$k"; fi
    done
done

# median COLUMN FILE
median() { cut -d' ' -f"$1" "$2" | sort -n | sed -n "$(((runs + 1) / 2))p"; }

printf '| %-24s | %12s | %10s | %10s | %s\n' headers "preprocessed" "median s" "median cpu" \
    "runs (wall s)"
printf '|%s|%s|%s|%s|%s\n' "--------------------------" "--------------" "------------" \
    "------------" "-----"
for ((i = 0; i < count; i++)); do
    read -r -a args <<<"${command//-I$root\/include/-I${includes[i]}}"
    lines=$("${args[@]}" -E "$tu" | wc -l)
    printf '| %-24s | %12s | %10s | %10s | %s\n' "${labels[i]}" "$lines" \
        "$(median 1 "$bench_tmp/times-$i")" "$(median 2 "$bench_tmp/times-$i")" \
        "$(cut -d' ' -f1 "$bench_tmp/times-$i" | tr '\n' ' ')"
done
