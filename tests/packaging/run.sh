#!/usr/bin/env bash
# Builds and runs a tiny consumer (consumer/) by each route a user takes to caf-otp:
#   find_package  against `cmake --install <build-dir>` into a scratch prefix
#   subdirectory  add_subdirectory(<source>) from a parent project (and, configure-only, that
#                 with tests/examples/bench on every caf-otp target is prefixed otp_ and the
#                 parent's empty build type stays empty)
#   fetchcontent  FetchContent from the local source tree (SOURCE_DIR: no download)
#   pkg-config    the installed caf-otp.pc, with a plain compiler command
#   getting_started  docs/getting_started.md's project (examples/getting_started: a supervised
#                 TCP service and its doctest tests) against the installed package: built, and
#                 its tests run with ctest, so that the guide stays true
# usage: run.sh <source-dir> <build-dir> <work-dir> [route...]   (default: all five)
# env (set by CMakeLists.txt): OTP_CMAKE, OTP_CONSUMER_GENERATOR, OTP_CONSUMER_CXX,
#   OTP_CONSUMER_LAUNCHER, OTP_WARNINGS_AS_ERRORS, OTP_SANITIZE; JOBS (2)
# The source routes build caf-otp's library again, in Release and with the build's own -Werror
# setting, so that with ccache they reuse the objects of a Release build or of the run before.
set -euo pipefail

if [[ "${OTP_SANITIZE:-OFF}" == ON ]]; then
  # The consumers would all need the sanitizer flags to link the sanitized library; the routes
  # are the same as in the plain build, which runs this test.
  echo "packaging: skipped in a sanitizer build"
  exit 77
fi
cmake="${OTP_CMAKE:-$(command -v cmake || true)}"
if [[ -z "$cmake" || ! -x "$cmake" ]]; then
  echo "packaging: cmake not found, skipped"
  exit 77
fi
(($# >= 3)) || { echo "usage: $0 <source-dir> <build-dir> <work-dir> [route...]" >&2; exit 2; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source_dir="$1"
build_dir="$2"
work_dir="$3"
shift 3
routes=("$@")
((${#routes[@]} > 0)) || routes=(find_package subdirectory fetchcontent pkg-config getting_started)
prefix="$work_dir/prefix"
jobs="${JOBS:-2}"

step() { echo "===== packaging: $* ($SECONDS s)"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

# The arguments every consumer configure shares.
toolchain=(-DCMAKE_BUILD_TYPE=Release)
[[ -n "${OTP_CONSUMER_GENERATOR:-}" ]] && toolchain+=(-G "$OTP_CONSUMER_GENERATOR")
[[ -n "${OTP_CONSUMER_CXX:-}" ]] && toolchain+=(-DCMAKE_CXX_COMPILER="$OTP_CONSUMER_CXX")
[[ -n "${OTP_CONSUMER_LAUNCHER:-}" ]] && toolchain+=(-DCMAKE_CXX_COMPILER_LAUNCHER="$OTP_CONSUMER_LAUNCHER")
common=(-S "$here/consumer" "${toolchain[@]}")
# What a parent project of the source tree passes: doctest must not be needed.
from_source=(-DOTP_SOURCE_DIR="$source_dir" -DCMAKE_DISABLE_FIND_PACKAGE_doctest=ON
  -DOTP_WARNINGS_AS_ERRORS="${OTP_WARNINGS_AS_ERRORS:-OFF}")

# Runs the consumer program `$1` and checks that its gen_server answered.
check_output() {
  local output
  output="$("$1")" || fail "$1 exited with $?"
  echo "consumer output: $output"
  grep -q "caf-otp .*: pong" <<<"$output" || fail "$1 did not print 'caf-otp ...: pong'"
}

# Configures, builds and runs the consumer by route $1 in $work_dir/$1.
cmake_route() {
  local route="$1" dir="$work_dir/$1"
  shift
  "$cmake" "${common[@]}" -B "$dir" -DOTP_ROUTE="$route" "$@" >"$dir.configure.log" 2>&1 ||
    { cat "$dir.configure.log"; fail "$route: configure failed"; }
  "$cmake" --build "$dir" -j "$jobs" --target hello hello_observer || fail "$route: build failed"
  check_output "$dir/hello"
  "$dir/hello_observer" | grep "observer at http://127.0.0.1:" || fail "$route: hello_observer"
}

# Guards against a consumer configured in $1 picking up some other caf_otp (build tree,
# /usr/local, ...) than the one installed into $prefix.
check_found_in_prefix() {
  local found
  found="$(sed -n 's/^caf_otp_DIR:PATH=//p' "$1/CMakeCache.txt")"
  [[ "$found" == "$prefix"/* ]] || fail "found caf_otp in '$found', not under '$prefix'"
}

rm -rf "$work_dir"
mkdir -p "$work_dir"

installed=0
install_once() {
  ((installed)) && return
  step "cmake --install into $prefix"
  "$cmake" --install "$build_dir" --prefix "$prefix" >"$work_dir/install.log" ||
    { cat "$work_dir/install.log"; fail "cmake --install failed"; }
  installed=1
}

for route in "${routes[@]}"; do
  case "$route" in
    find_package)
      install_once
      step "find_package"
      cmake_route find_package -DCMAKE_PREFIX_PATH="$prefix"
      check_found_in_prefix "$work_dir/find_package"
      ;;
    subdirectory)
      step "add_subdirectory, configure only: target names and build type"
      "$cmake" -S "$here/consumer" -B "$work_dir/names" -DOTP_ROUTE=subdirectory \
        -DOTP_SOURCE_DIR="$source_dir" -DOTP_CHECK_TARGET_NAMES=ON -DOTP_BUILD_TESTS=ON \
        -DOTP_BUILD_EXAMPLES=ON -DOTP_BUILD_BENCH=ON >"$work_dir/names.log" 2>&1 ||
        { cat "$work_dir/names.log"; fail "add_subdirectory with everything on: configure failed"; }
      grep "all prefixed otp_" "$work_dir/names.log"
      step "add_subdirectory"
      cmake_route subdirectory "${from_source[@]}"
      ;;
    fetchcontent)
      step "FetchContent"
      cmake_route fetchcontent "${from_source[@]}"
      ;;
    pkg-config)
      install_once
      step "pkg-config"
      command -v pkg-config >/dev/null || fail "pkg-config not found (scripts/setup.sh installs it)"
      pc_file="$(find "$prefix" -name caf-otp.pc -print -quit)"
      [[ -n "$pc_file" ]] || fail "no caf-otp.pc installed under $prefix"
      PKG_CONFIG_PATH="$(dirname "$pc_file")${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}"
      export PKG_CONFIG_PATH
      for pc in caf-otp caf-otp-net caf-otp-dist caf-otp-observer; do
        pkg-config --print-errors --exists "$pc" || fail "pkg-config cannot resolve $pc"
        echo "$pc: $(pkg-config --cflags --libs "$pc")"
      done
      cflags="$(pkg-config --cflags caf-otp)"
      [[ " $cflags " == *" -std=c++20 "* ]] || fail "caf-otp.pc's Cflags lack -std=c++20: $cflags"
      [[ " $(pkg-config --libs caf-otp-dist) " == *" -lotp_dist "*" -lotp_core "* ]] ||
        fail "caf-otp-dist.pc must list -lotp_dist before -lotp_core"
      cxx="${OTP_CONSUMER_CXX:-c++}"
      launcher=()
      [[ -n "${OTP_CONSUMER_LAUNCHER:-}" ]] && launcher=("$OTP_CONSUMER_LAUNCHER")
      mkdir -p "$work_dir/pkg-config"
      read -ra cflag_args <<<"$cflags"
      read -ra lib_args <<<"$(pkg-config --libs caf-otp)"
      "${launcher[@]}" "$cxx" -O2 "${cflag_args[@]}" -c "$here/consumer/main.cpp" \
        -o "$work_dir/pkg-config/main.o" || fail "pkg-config: compile failed"
      "$cxx" "$work_dir/pkg-config/main.o" "${lib_args[@]}" -o "$work_dir/pkg-config/hello" ||
        fail "pkg-config: link failed"
      check_output "$work_dir/pkg-config/hello"
      ;;
    getting_started)
      install_once
      step "getting_started: examples/getting_started against the installed package"
      dir="$work_dir/getting_started"
      "$cmake" -S "$source_dir/examples/getting_started" -B "$dir" "${toolchain[@]}" \
        -DCMAKE_PREFIX_PATH="$prefix" >"$dir.configure.log" 2>&1 ||
        { cat "$dir.configure.log"; fail "getting_started: configure failed"; }
      check_found_in_prefix "$dir"
      "$cmake" --build "$dir" -j "$jobs" || fail "getting_started: build failed"
      ctest="$(dirname "$cmake")/ctest"
      [[ -x "$ctest" ]] || ctest=ctest
      "$ctest" --test-dir "$dir" --output-on-failure --timeout 120 ||
        fail "getting_started: its tests failed"
      ;;
    *) fail "unknown route '$route'" ;;
  esac
done
step "all routes passed: ${routes[*]}"
