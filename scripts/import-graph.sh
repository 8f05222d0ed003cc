#!/usr/bin/env bash
# The module import graph of src/: which top-level module refers to which (`crate::<module>` anywhere in a file,
# tests included), each edge with its count, then the edges that run up the layers (see LAYERS below).
# Usage: scripts/import-graph.sh [--check]   (--check: exit 1 if any edge runs upward or sideways)
set -euo pipefail
cd "$(dirname "$0")/.."

# Layers, bottom first. A module may import only modules on a lower line.
LAYERS=(
  "exit"
  "error vocab"
  "parse rules"
  "discover"
  "facts"
  "callgraph"
  "analyze workload"
  "profile"
  "report"
  "render"
  "cli"
  "app"
  "main lib"
)

declare -A rank
for i in "${!LAYERS[@]}"; do
  for m in ${LAYERS[$i]}; do rank[$m]=$i; done
done

# The crate's top-level modules, as declared in src/lib.rs (references to anything else are test source text).
mods=$(sed -n 's/^pub\(([a-z]*)\)\{0,1\} mod \([a-z_]*\);/\2/p' src/lib.rs | tr '\n' '|')
mods=${mods%|}

edges=$(
  find src -name '*.rs' | sort | while read -r f; do
    rel=${f#src/}
    from=${rel%%/*}
    from=${from%.rs}
    grep -oE "crate::($mods)\b" "$f" | sed 's/crate:://' | grep -v "^$from\$" | sed "s/^/$from /" || true
  done | sort | uniq -c | awk '{print $2, $3, $1}'
)

echo "# import graph (from -> to: references)"
echo "$edges" | awk '{printf "%-10s -> %-10s %s\n", $1, $2, $3}'

bad=0
echo
echo "# edges that do not run down the layers"
while read -r from to n; do
  [ -z "$from" ] && continue
  rf=${rank[$from]:-}
  rt=${rank[$to]:-}
  if [ -z "$rf" ] || [ -z "$rt" ]; then
    echo "unknown layer: $from -> $to ($n)"; bad=1
  elif [ "$rt" -ge "$rf" ]; then
    echo "UPWARD: $from -> $to ($n)"; bad=1
  fi
done <<<"$edges"
[ "$bad" = 0 ] && echo "(none)"
if [ "${1:-}" = "--check" ]; then exit "$bad"; fi
