#!/usr/bin/env bash
# The README test command: installs deps, builds everything with warnings as errors and runs the
# whole ctest suite.
# usage: scripts/test.sh [--sanitize] [--clang] [--release | --debug] [--build-only]
#   (default)   build/, GCC, RelWithDebInfo
#   --sanitize  ASan+UBSan (build-asan/)
#   --clang     clang++ instead of g++ (build-clang/)
#   --release / --debug   CMAKE_BUILD_TYPE Release / Debug (build-release/, build-clang-debug/, ...)
#   --build-only          build, do not run the tests
# env: JOBS (2), TEST_TIMEOUT (120 s for a test without its own), CTEST_ARGS (extra ctest args),
#      OTP_CMAKE_ARGS (extra configure args, e.g. -DOTP_BUILD_BENCH=OFF)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
suffix=""
cmake_args=(-DOTP_WARNINGS_AS_ERRORS=ON)
sanitize=OFF compiler="" build_type="" run_tests=1
for arg in "$@"; do
  case "$arg" in
    --sanitize) sanitize=ON ;;
    --clang) compiler=clang ;;
    --release) build_type=Release ;;
    --debug) build_type=Debug ;;
    --build-only) run_tests=0 ;;
    -h | --help) sed -n '4,11s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "test.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done
cmake_args+=(-DOTP_SANITIZE="$sanitize")
[[ $sanitize == ON ]] && suffix+="-asan"
if [[ $compiler == clang ]]; then
  cmake_args+=(-DCMAKE_CXX_COMPILER=clang++)
  suffix+="-clang"
fi
if [[ -n $build_type ]]; then
  cmake_args+=(-DCMAKE_BUILD_TYPE="$build_type")
  suffix+="-${build_type,,}"
fi
build_dir="$root/build$suffix"
jobs="${JOBS:-2}"

bash "$root/scripts/setup.sh"

if command -v ccache >/dev/null; then
  cmake_args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
read -ra extra_cmake_args <<<"${OTP_CMAKE_ARGS:-}"
cmake -S "$root" -B "$build_dir" -G Ninja "${cmake_args[@]}" "${extra_cmake_args[@]}"
cmake --build "$build_dir" -j "$jobs"
((run_tests)) || exit 0

# Stack traces for UBSan reports; failures are already fatal via -fno-sanitize-recover.
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
read -ra extra_ctest_args <<<"${CTEST_ARGS:-}"
ctest --test-dir "$build_dir" --output-on-failure --timeout "${TEST_TIMEOUT:-120}" -j "$jobs" \
  "${extra_ctest_args[@]}"
