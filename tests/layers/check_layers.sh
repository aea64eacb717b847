#!/usr/bin/env bash
# Ensure that the library's includes run one way: down the layers of docs/architecture.md.
#
# Every file of a layer (src/<layer>/...) and every public header (include/otp/...) belongs to
# one layer. A file may include headers of its own layer and of the layers below it, never of
# one above. A private include names its layer ("runtime/scheduler.hpp", not "scheduler.hpp").
#
# Usage: check_layers.sh [ROOT]   (the repository; default: two folders up from this script)
# Prints each offending include as FILE:LINE: message and exits 1 if there is any.
set -euo pipefail

root="${1:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}"

# The layers, lowest first: each may include itself and those before it.
layers=(runtime term process supervision net dist observer)
declare -A rank
for i in "${!layers[@]}"; do
  rank[${layers[$i]}]=$i
done

# The layer of a public header as included ("otp/..."), in $layer. Beside otp/observer/,
# otp/dist/, otp/net/ and otp/term/, the supervisor's and the process layer's headers are
# listed; the rest of otp/ (node, pid, exit reasons, timeouts, logger, the process hook, ...)
# is the runtime's.
public_layer() {
  case "$1" in
    otp/observer.hpp | otp/observer/*) layer=observer ;;
    otp/dist/*) layer=dist ;;
    otp/term.hpp | otp/term/*) layer=term ;;
    otp/net/*) layer=net ;;
    otp/supervisor.hpp | otp/supervision_tree.hpp | otp/child_spec.hpp | otp/sup_error.hpp | \
      otp/sup_flags.hpp)
      layer=supervision ;;
    otp/gen_server.hpp | otp/process.hpp | otp/spawn.hpp | otp/receive.hpp | otp/sys.hpp | \
      otp/from.hpp | otp/action.hpp | otp/callback_result.hpp | otp/test/* | \
      otp/detail/server_impl.hpp | otp/detail/server_traits.hpp | otp/detail/dispatch.hpp | \
      otp/detail/special_process.hpp | otp/detail/server_callbacks.hpp | \
      otp/detail/timer_state.hpp | otp/detail/boxed_message.hpp | \
      otp/detail/message_ref.hpp | otp/detail/info_view.hpp | otp/detail/server_ops.hpp | \
      otp/detail/server_request.hpp | otp/detail/remote_dispatch.hpp)
      layer=process ;;
    *) layer=runtime ;;
  esac
}

problems=0
files=0
report() {
  echo "$1"
  problems=$((problems + 1))
}

# check FILE LAYER: every quoted include of FILE against LAYER.
check() {
  local file="$1" own="$2" number=0 line target
  files=$((files + 1))
  while IFS= read -r line || [[ -n "$line" ]]; do
    number=$((number + 1))
    # Quoted includes, and <otp/...> (other <...> are system headers: <net/if.h> is no layer).
    if [[ "$line" =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\"([^\"]+)\" ]]; then
      target="${BASH_REMATCH[1]}"
    elif [[ "$line" =~ ^[[:space:]]*#[[:space:]]*include[[:space:]]*\<(otp/[^\>]+)\> ]]; then
      target="${BASH_REMATCH[1]}"
    else
      continue
    fi
    layer=""
    if [[ "$target" == otp/* ]]; then
      public_layer "$target"
    elif [[ "$target" == */* && -n "${rank[${target%%/*}]+x}" ]]; then
      layer="${target%%/*}"
    fi
    if [[ -z "$layer" ]]; then
      report "${file#"$root"/}:$number: \"$target\" names no layer (write \"<layer>/file.hpp\" or \"otp/...\"; layers: ${layers[*]})"
    elif ((rank[$layer] > rank[$own])); then
      report "${file#"$root"/}:$number: $own includes \"$target\" of $layer, a layer above it"
    fi
  done <"$file"
}

shopt -s nullglob
for own in "${layers[@]}"; do
  while IFS= read -r -d '' file; do
    check "$file" "$own"
  done < <(find "$root/src/$own" -type f \( -name '*.hpp' -o -name '*.cpp' \) -print0 | sort -z)
done
while IFS= read -r -d '' file; do
  public_layer "${file#"$root"/include/}"
  check "$file" "$layer"
done < <(find "$root/include" -type f -name '*.hpp' -print0 | sort -z)

# Every folder under src/ is a layer: a new one must be placed in the order first.
for dir in "$root"/src/*/; do
  name="$(basename "$dir")"
  [[ -n "${rank[$name]+x}" ]] || report "src/$name: a folder that is no layer (add it to 'layers' in order)"
done

order="${layers[*]}"
if ((problems > 0)); then
  echo "layers: $problems upward or unplaced include(s) in $files files (lowest first: ${order// / < })"
  exit 1
fi
echo "layers: $files files, every include runs down (lowest first: ${order// / < })"
