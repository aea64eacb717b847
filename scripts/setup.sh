#!/usr/bin/env bash
# Installs the build dependencies on Debian bookworm. Safe to re-run: when everything is
# already present it only asks dpkg and returns, so test.sh/demo.sh can call it every time.
# usage: scripts/setup.sh [--bench]   (--bench adds erlang-nox for the Erlang comparison)
set -euo pipefail

# clang + its runtime: the handshake and term fuzz targets (libFuzzer) that ctest runs briefly,
# and the clang build (test.sh --clang). pkgconf: the packaging test's pkg-config route.
# zlib1g-dev: compressed Erlang terms. erlang-dev: erl_interface (ei), Erlang's C library, which
# the term tests check the codec against (it pulls in erlang-base, whose erl writes their data).
# chromium: the observer's page test (tests/observer/page_test.js) drives it headless, through
# puppeteer-core from the npm registry (below; it downloads no browser). nodejs and npm run
# that test, unless a Node.js is already installed. python3-prometheus-client: the Prometheus
# project's text-format parser, which the observer's /metrics test reads its output with.
# The README lists these: keep the two in step.
packages=(libcaf-dev libboost1.81-dev libboost-context1.81-dev libfmt-dev doctest-dev cmake
  ninja-build g++ libssl-dev ccache clang libclang-rt-14-dev pkgconf zlib1g-dev erlang-dev
  chromium python3-prometheus-client)
command -v node >/dev/null && command -v npm >/dev/null || packages+=(nodejs npm)
puppeteer_version=24  # its major version: 24 runs on bookworm's Node.js 18
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
# puppeteer-core, installed globally (the test finds it through `npm root -g`).
install_puppeteer() {
  local root
  root="$(npm root -g)"
  [[ -f "$root/puppeteer-core/package.json" ]] && return 0
  echo "setup.sh: installing puppeteer-core@$puppeteer_version (npm)"
  # Not fatal: without it that one test says it is skipped, and why.
  "${sudo[@]}" npm install -g --no-fund --no-audit "puppeteer-core@$puppeteer_version" \
    || echo "setup.sh: puppeteer-core could not be installed: the page test will be skipped" >&2
}

sudo=()
if ((EUID != 0)) && command -v sudo >/dev/null; then
  sudo=(sudo)
fi

if ((${#missing[@]} == 0)); then
  install_puppeteer
  echo "setup.sh: all dependencies present"
  exit 0
fi

if ((EUID != 0)) && ((${#sudo[@]} == 0)); then
  echo "setup.sh: must run as root to install: ${missing[*]}" >&2
  exit 1
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
install_puppeteer
