#!/usr/bin/env bash
# The module import graph of src/: which top-level module refers to which (`crate::<module>` anywhere in a
# file), each edge with its count, split into production code and test code (files named tests.rs or
# check.rs, files under a tests/ folder, and everything after a file's `mod tests` line); then the edges
# that do not run down the layers (LAYERS below).
# Usage: scripts/import-graph.sh [--check]   (--check: exit 1 if a production edge runs upward or sideways)
set -euo pipefail
cd "$(dirname "$0")/.."

# Layers, bottom first (scripts/layers.txt). A module may import only modules on a lower line.
mapfile -t LAYERS < <(grep -v '^#' scripts/layers.txt | grep -v '^$')

declare -A rank
for i in "${!LAYERS[@]}"; do
  for m in ${LAYERS[$i]}; do rank[$m]=$i; done
done

# The crate's top-level modules, as declared in src/lib.rs (references to anything else are source text
# inside tests).
mods=$(sed -n 's/^pub\(([a-z]*)\)\{0,1\} mod \([a-z_]*\);/\2/p' src/lib.rs | tr '\n' '|')
mods=${mods%|}

# "<from> <to> <prod|test>" for every reference.
refs() {
  find src -name '*.rs' | sort | while read -r f; do
    rel=${f#src/}
    from=${rel%%/*}
    from=${from%.rs}
    base=$(basename "$f")
    whole_test=0
    case "$base" in tests.rs | check.rs) whole_test=1 ;; esac
    case "$rel" in */tests/*) whole_test=1 ;; esac
    awk -v from="$from" -v whole="$whole_test" -v mods="$mods" '
      BEGIN { test = whole }
      /^(pub\(crate\) )?mod tests/ { test = 1 }
      {
        line = $0
        while (match(line, "crate::(" mods ")([^a-z_]|$)")) {
          to = substr(line, RSTART + 7, RLENGTH - 7)
          sub(/[^a-z_]$/, "", to)
          if (to != from) print from, to, (test ? "test" : "prod")
          line = substr(line, RSTART + RLENGTH)
        }
      }' "$f"
  done
}

all=$(refs)
show() {
  echo "$all" | awk -v kind="$1" '$3 == kind { print $1, $2 }' | sort | uniq -c |
    awk '{ printf "%-10s -> %-10s %s\n", $2, $3, $1 }'
}

echo "# import graph, production code (from -> to: references)"
show prod
echo
echo "# import graph, test code only"
show test

bad=0
check() {
  local kind=$1
  while read -r from _ to _; do
    [ -z "$from" ] && continue
    rf=${rank[$from]:-}
    rt=${rank[$to]:-}
    if [ -z "$rf" ] || [ -z "$rt" ]; then
      echo "unknown layer: $from -> $to"
      [ "$kind" = prod ] && bad=1
    elif [ "$rt" -ge "$rf" ]; then
      echo "UPWARD ($kind): $from -> $to"
      [ "$kind" = prod ] && bad=1
    fi
  done < <(show "$kind")
}
echo
echo "# edges that do not run down the layers"
check prod
check test
[ "$bad" = 0 ] && echo "(no production edge runs upward)"
if [ "${1:-}" = "--check" ]; then exit "$bad"; fi
