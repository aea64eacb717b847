#!/usr/bin/env bash
# Ensure that the public headers keep CAF behind them: each header listed below must compile on
# its own, and nothing it includes may come from CAF (a user's file that includes only these
# pays nothing for CAF); otp/fwd.hpp must agree with the headers that define its types.
#
# Usage: check_headers.sh CXX INCLUDE_DIR   (the compiler and the repository's include/)
# Prints each offending header and what pulled CAF in, and exits 1 if there is any.
set -euo pipefail

cxx=$1
include=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The headers that may include CAF: CAF's own handles (otp/caf.hpp), the distribution that
# still runs on CAF's BASP and CAF's `inspect` protocol (otp/dist/, otp/term/inspect.hpp), and
# the library's internals. Every other public header is one a user's file may include without
# compiling CAF, new ones included.
may_include_caf='^otp/(caf\.hpp|detail/.*|term/inspect\.hpp|dist/(distribution|erlang|message_types|options|term_types)\.hpp)$'
mapfile -t caf_free < <(cd "$include" && find otp -name '*.hpp' | sort | grep -Ev "$may_include_caf")

problems=0
for header in "${caf_free[@]}"; do
    printf '#include <%s>\n' "$header" >"$tmp/tu.cpp"
    if ! "$cxx" -std=c++20 -I"$include" -fsyntax-only -H "$tmp/tu.cpp" 2>"$tmp/includes"; then
        cat "$tmp/includes"
        echo "$header: does not compile on its own"
        problems=$((problems + 1))
        continue
    fi
    # -H lists every included file, nested by dots: the first CAF one and its includer.
    if grep -q '/caf/' "$tmp/includes"; then
        echo "$header: includes CAF:"
        grep -B3 -m1 '/caf/' "$tmp/includes" | sed 's/^/    /'
        problems=$((problems + 1))
    fi
done

# otp/fwd.hpp first, then every public header: a declaration that disagrees with its
# definition (class or template) fails here.
{
    echo '#include <otp/fwd.hpp>'
    (cd "$include" && find otp -name '*.hpp' ! -name fwd.hpp | sort | sed 's/.*/#include <&>/')
} >"$tmp/all.cpp"
if ! "$cxx" -std=c++20 -I"$include" -fsyntax-only -Wall -Wextra -Wmismatched-tags -Werror "$tmp/all.cpp"; then
    echo "otp/fwd.hpp disagrees with the public headers (see above)"
    problems=$((problems + 1))
fi

if ((problems > 0)); then
    echo "headers: $problems problem(s)"
    exit 1
fi
echo "headers: ${#caf_free[@]} public headers without CAF; otp/fwd.hpp agrees with all"
