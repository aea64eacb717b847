#!/usr/bin/env bash
# Proves the installed package (config, targets, FindCAF) works outside the build tree:
# install <build-dir> into a scratch prefix, build the consumer against it, run it.
# usage: run.sh <build-dir> <work-dir>   (settings come from the env set by CMakeLists.txt)
set -euo pipefail

cmake="${OTP_CMAKE:-$(command -v cmake || true)}"
if [[ -z "$cmake" || ! -x "$cmake" ]]; then
  echo "cmake not found; skipping"
  exit 77
fi
(($# == 2)) || { echo "usage: $0 <build-dir> <work-dir>" >&2; exit 2; }

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build_dir="$1"
work_dir="$2"
prefix="$work_dir/prefix"

rm -rf "$work_dir"
mkdir -p "$work_dir"
"$cmake" --install "$build_dir" --prefix "$prefix"

args=(-S "$here/consumer" -B "$work_dir/build" -DCMAKE_PREFIX_PATH="$prefix")
[[ -n "${OTP_CONSUMER_GENERATOR:-}" ]] && args+=(-G "$OTP_CONSUMER_GENERATOR")
[[ -n "${OTP_CONSUMER_CXX:-}" ]] && args+=(-DCMAKE_CXX_COMPILER="$OTP_CONSUMER_CXX")
[[ -n "${OTP_CONSUMER_BUILD_TYPE:-}" ]] && args+=(-DCMAKE_BUILD_TYPE="$OTP_CONSUMER_BUILD_TYPE")
# A sanitized static libotp needs the sanitizer runtime at the consumer's link step too.
if [[ -n "${OTP_CONSUMER_FLAGS:-}" ]]; then
  args+=(-DCMAKE_CXX_FLAGS="$OTP_CONSUMER_FLAGS" -DCMAKE_EXE_LINKER_FLAGS="$OTP_CONSUMER_FLAGS")
fi
"$cmake" "${args[@]}"

# Guard against silently picking up some other caf_otp (build tree, /usr/local, ...).
found_dir="$(sed -n 's/^caf_otp_DIR:PATH=//p' "$work_dir/build/CMakeCache.txt")"
case "$found_dir" in
  "$prefix"/*) ;;
  *) echo "FAIL: consumer found caf_otp in '$found_dir', expected under '$prefix'" >&2; exit 1 ;;
esac

"$cmake" --build "$work_dir/build"

output="$("$work_dir/build/consumer")"
echo "consumer output: $output"
if ! grep -q "caf-otp .*: pong" <<<"$output"; then
  echo "FAIL: consumer output lacks the expected 'caf-otp ...: pong'" >&2
  exit 1
fi
echo "PASS"
