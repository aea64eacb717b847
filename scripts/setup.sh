#!/usr/bin/env bash
# Installs the build dependencies on Debian bookworm. Safe to re-run: when everything is
# already present it only asks dpkg and returns, so test.sh/demo.sh can call it every time.
# usage: scripts/setup.sh [--bench]   (--bench adds erlang-nox for the Erlang comparison)
set -euo pipefail

# clang + its runtime: the handshake and term fuzz targets (libFuzzer) that ctest runs briefly,
# and the clang build (test.sh --clang). pkgconf: the packaging test's pkg-config route.
# zlib1g-dev: compressed Erlang terms. erlang-dev: erl_interface (ei), Erlang's C library, which
# the term tests check the codec against (it pulls in erlang-base, whose erl writes their data).
# The README lists these: keep the two in step.
packages=(libcaf-dev libboost1.81-dev libboost-context1.81-dev libfmt-dev doctest-dev cmake
  ninja-build g++ libssl-dev ccache clang libclang-rt-14-dev pkgconf zlib1g-dev erlang-dev)
for arg in "$@"; do
  case "$arg" in
    --bench) packages+=(erlang-nox liburing-dev) ;;
    -h | --help) echo "usage: $0 [--bench]"; exit 0 ;;
    *) echo "setup.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

# One dpkg-query call for all packages keeps the no-op path fast.
declare -A installed=()
while read -r name status; do
  [[ "$status" == ii ]] && installed["$name"]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${packages[@]}" \
  libboost-dev libboost1.74-dev 2>/dev/null || true)

missing=()
for p in "${packages[@]}"; do
  [[ -n "${installed[$p]:-}" ]] || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "setup.sh: all dependencies present"
  exit 0
fi

sudo=()
if ((EUID != 0)); then
  command -v sudo >/dev/null || { echo "setup.sh: must run as root to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive

# bookworm's default Boost (libboost-dev -> libboost1.74-dev) conflicts with libboost1.81-dev,
# so apt would refuse the install below; remove it first.
conflicts=()
for p in libboost1.74-dev libboost-dev; do
  [[ -n "${installed[$p]:-}" ]] && conflicts+=("$p")
done
if ((${#conflicts[@]} > 0)); then
  echo "setup.sh: removing ${conflicts[*]}: Boost 1.74 dev packages conflict with libboost1.81-dev"
  "${sudo[@]}" apt-get remove -y "${conflicts[@]}"
fi

echo "setup.sh: installing ${missing[*]}"
"${sudo[@]}" apt-get update
"${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
