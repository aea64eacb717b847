#!/usr/bin/env bash
# The README demo command: builds the demo target (and the libraries the install needs) and runs
# it; extra args go to the demo.
# usage: scripts/demo.sh [demo args...]
set -euo pipefail

# Change these two to switch demos (example targets are otp_example_<name>; the binary path is
# relative to the build dir).
demo_target=otp_example_supervision_tree
demo_binary=examples/supervision_tree/supervision_tree

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$root/build"

bash "$root/scripts/setup.sh"

cmake_args=()
if command -v ccache >/dev/null; then
  cmake_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$root" -B "$build_dir" -G Ninja "${cmake_args[@]}"
# The libraries too, so that `cmake --install build` works right after this command.
cmake --build "$build_dir" -j "${JOBS:-2}" --target "$demo_target" otp_core otp_net otp_dist \
  otp_term otp_observer

binary="$build_dir/$demo_binary"
if [[ ! -f "$binary" || ! -x "$binary" ]]; then
  # Tolerate the examples tree nesting the target one directory deeper (examples/x/x).
  binary="$(find "$build_dir/examples" -type f -name "$(basename "$demo_binary")" -perm -u+x -print -quit)"
  [[ -n "$binary" ]] || { echo "demo.sh: built '$demo_target' but cannot find its binary" >&2; exit 1; }
fi
echo "demo.sh: running $binary"
exec "$binary" "$@"
