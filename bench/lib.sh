# The preamble of the benchmark runners (bench/run_*.sh, bench/net/run_echo.sh), sourced first:
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#
# Sets strict mode, `root` (the repository), `bench_tmp` (a directory removed at exit; a runner
# with an EXIT trap of its own removes it there), `bench_pids` (background processes killed at
# exit) and the checks every runner begins with.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
bench_name=$(basename "$0")

die() {
    echo "$bench_name: error: $*" >&2
    exit 1
}
log() { echo "$bench_name: $*" >&2; }

# require_bin BUILD_DIR TARGET...: each target's program must be built in BUILD_DIR (a program
# keeps its target's name without the otp_ prefix, in the folder of its CMakeLists.txt).
require_bin() {
    local build=$1 target path
    shift
    for target in "$@"; do
        path=$(bench_bin "$build" "$target")
        [[ -x $path ]] || die "$path not found; build it first, e.g.
  cmake -S $root -B $build -G Ninja -DCMAKE_BUILD_TYPE=Release && ninja -C $build $*"
    done
}

# bench_bin BUILD_DIR TARGET: where TARGET's program is (otp_echo_load: bench/net/echo_load).
bench_bin() {
    local name=${2#otp_}
    case $name in
        echo_load | asio_echo_server* | echo_server_uring) echo "$1/bench/net/$name" ;;
        *) echo "$1/bench/$name" ;;
    esac
}

# echo_server_cmd BINARY THREADS: how the echo runners start a caf-otp echo server: without an
# idle timeout, as the bare Asio server has none (builds older than that option had none).
echo_server_cmd() {
    local cmd="$1 --port 0 --threads $2"
    grep -qa -- '--idle-timeout' "$1" && cmd+=" --idle-timeout 0"
    echo "$cmd"
}

require_erl() { command -v erl >/dev/null || die "erl not found (scripts/setup.sh --bench)"; }

bench_tmp=$(mktemp -d "${TMPDIR:-/tmp}/caf-otp-${bench_name%.sh}.XXXXXX")
# Processes a runner starts in the background (`bench_pids+=($!)`): killed, by PID, at exit.
bench_pids=()
bench_exit() {
    local p
    for p in "${bench_pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
    rm -rf "$bench_tmp"
}
trap bench_exit EXIT
