#!/usr/bin/env bash
# The README test command: installs deps, builds everything and runs the whole ctest suite.
# usage: scripts/test.sh [--sanitize]   (--sanitize uses build-asan/ with ASan+UBSan)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build_dir="$root/build"
cmake_args=(-DOTP_SANITIZE=OFF)
for arg in "$@"; do
  case "$arg" in
    --sanitize) build_dir="$root/build-asan"; cmake_args=(-DOTP_SANITIZE=ON) ;;
    -h | --help) echo "usage: $0 [--sanitize]"; exit 0 ;;
    *) echo "test.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done
jobs="${JOBS:-2}"

bash "$root/scripts/setup.sh"

if command -v ccache >/dev/null; then
  cmake_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S "$root" -B "$build_dir" -G Ninja "${cmake_args[@]}"
cmake --build "$build_dir" -j "$jobs"

# Stack traces for UBSan reports; failures are already fatal via -fno-sanitize-recover.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
ctest --test-dir "$build_dir" --output-on-failure --timeout "${TEST_TIMEOUT:-120}" -j "$jobs"
