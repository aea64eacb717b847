#!/usr/bin/env bash
# Compiles the Erlang echo server into a temporary directory and runs it until SIGTERM.
#
#   run_server.sh PORT      (0 picks a free port)
#
# Prints "PID <beam os pid>" and "LISTENING <port>" on stdout once it accepts connections.
# Extra VM flags can be passed via ERL_FLAGS.
set -euo pipefail

[[ $# -eq 1 && $1 =~ ^[0-9]+$ ]] || { echo "usage: $0 PORT" >&2; exit 2; }

for tool in erl erlc; do
    command -v "$tool" >/dev/null 2>&1 ||
        { echo "error: '$tool' not found in PATH; install Erlang/OTP" >&2; exit 1; }
done

src_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ebin=$(mktemp -d "${TMPDIR:-/tmp}/caf-otp-echo-server.XXXXXX")
beam=
cleanup() {
    [[ -n $beam ]] && kill -TERM "$beam" 2>/dev/null && wait "$beam" 2>/dev/null
    rm -rf "$ebin"
}
trap cleanup EXIT
trap 'exit 143' TERM

erlc -Wall -Werror -o "$ebin" "$src_dir"/*.erl

# +P/+Q: room for 20,000 connection processes and ports (the fd limit here is 20000).
# +K true: kernel poll, the default since OTP 21; kept to document the intent.
erl -noshell +K true +P 1000000 +Q 65536 -pa "$ebin" -run echo_server main "$1" &
beam=$!
wait "$beam"
