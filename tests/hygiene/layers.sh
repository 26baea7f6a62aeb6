#!/usr/bin/env bash
# Layers enforced: every #include in src/ must name a layer its own layer may
# depend on, per the include matrix in docs/ARCHITECTURE.md (the two tables
# between "<!-- layers:begin -->" and "<!-- layers:end -->"), so the document
# and the check cannot disagree.
#   layers.sh ROOT          checks ROOT/src against ROOT/docs/ARCHITECTURE.md
#   layers.sh --self-test   plants a violation in a copy and expects a failure
# A test file (*_test.cc, *test_util*.h, *test_builders.h) may also include
# the text layer: unit tests write their modules as .wat.
set -euo pipefail

check() {
  local root=$1 doc=$1/docs/ARCHITECTURE.md
  [[ -f $doc ]] || { echo "layers: no $doc"; return 1; }
  local matrix
  matrix=$(sed -n '/<!-- layers:begin -->/,/<!-- layers:end -->/p' "$doc")
  [[ -n $matrix ]] || { echo "layers: $doc has no <!-- layers:begin --> ... <!-- layers:end --> matrix"; return 1; }
  # "| layer | may include |" rows: `name` | `a` `b` ...; "| deja/x.h | layer |" rows map public headers.
  declare -A allowed=() public=()
  local line cells name rest
  while IFS= read -r line; do
    [[ $line =~ ^\|[[:space:]]*\`([a-z_./]+)\`[[:space:]]*\|(.*)\|[[:space:]]*$ ]] || continue
    name=${BASH_REMATCH[1]}
    rest=$(tr -d '`|' <<<"${BASH_REMATCH[2]}" | xargs)
    if [[ $name == deja/* ]]; then public[$name]=$rest; else allowed[$name]=" $rest "; fi
  done <<<"$matrix"
  ((${#allowed[@]} > 0)) || { echo "layers: the matrix in $doc lists no layer"; return 1; }

  local bad=0 dir layer file inc target extra
  for dir in "$root"/src/*/; do
    layer=$(basename "$dir")
    if [[ -z ${allowed[$layer]+x} ]]; then
      echo "layers: src/$layer is not in the include matrix of docs/ARCHITECTURE.md"
      bad=1
      continue
    fi
    while IFS= read -r -d '' file; do
      extra=""
      [[ $file =~ (_test\.cc|test_util[a-z_]*\.h|test_builders\.h)$ ]] && extra=" text "
      while IFS=: read -r lineno inc; do
        inc=${inc#*\"}
        inc=${inc%%\"*}
        if [[ $inc == deja/* ]]; then
          target=${public[$inc]:-}
          if [[ -z $target ]]; then
            echo "${file#$root/}:$lineno: includes $inc, a public header the matrix does not place in a layer"
            bad=1
            continue
          fi
        else
          target=${inc%%/*}
          [[ $inc == */* && -n ${allowed[$target]+x} ]] || continue  # third-party or same-folder
        fi
        if [[ ${allowed[$layer]}$extra != *" $target "* ]]; then
          echo "${file#$root/}:$lineno: includes \"$inc\" ($target), above or beside layer $layer (may include:${allowed[$layer]})"
          bad=1
        fi
      done < <(grep -n -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" || true)
    done < <(find "$dir" -type f \( -name '*.cc' -o -name '*.h' -o -name '*.inc' -o -name '*.def' \) -print0)
  done
  # The public headers themselves include only headers of their layer or below.
  for file in "$root"/include/deja/*.h; do
    name=deja/$(basename "$file")
    layer=${public[$name]:-}
    [[ -n $layer ]] || { echo "include/$name is not in the matrix's public header table"; bad=1; continue; }
    while IFS=: read -r lineno inc; do
      inc=${inc#*\"}
      inc=${inc%%\"*}
      target=${public[$inc]:-?}
      if [[ ${allowed[$layer]} != *" $target "* ]]; then
        echo "include/$name:$lineno: includes \"$inc\" ($target), above layer $layer"
        bad=1
      fi
    done < <(grep -n -E '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$file" || true)
  done
  return $bad
}

self_test() {
  local here tmp out
  here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' RETURN
  mkdir -p "$tmp/docs" "$tmp/src" "$tmp/include"
  cp "$here/docs/ARCHITECTURE.md" "$tmp/docs/"
  cp -r "$here/src/engine" "$here/src/base" "$here/src/cli" "$tmp/src/"
  cp -r "$here/include/deja" "$tmp/include/"
  check "$tmp" >/dev/null || { echo "self-test: the untouched copy already fails"; return 1; }
  # An engine file reaching up into the CLI, and one into WASI's public header.
  printf '#include "cli/cli.h"\n' >"$tmp/src/engine/planted.cc"
  printf '#include "deja/wasi.h"\n' >"$tmp/src/engine/planted2.h"
  if out=$(check "$tmp"); then
    echo "self-test: planted violations were not found"
    return 1
  fi
  grep -q 'src/engine/planted.cc:1: includes "cli/cli.h" (cli)' <<<"$out" ||
    { echo "self-test: no message for planted.cc:"; echo "$out"; return 1; }
  grep -q 'src/engine/planted2.h:1: includes "deja/wasi.h" (wasi)' <<<"$out" ||
    { echo "self-test: no message for planted2.h:"; echo "$out"; return 1; }
  rm "$tmp/src/engine/planted.cc" "$tmp/src/engine/planted2.h"
  mkdir "$tmp/src/newlayer"
  if out=$(check "$tmp"); then
    echo "self-test: a folder missing from the matrix was not reported"
    return 1
  fi
  echo "self-test: planted violations reported"
}

if [[ ${1:-} == --self-test ]]; then
  self_test
else
  check "${1:?usage: layers.sh ROOT | --self-test}" && echo "layers: every include respects the matrix"
fi
