#!/usr/bin/env bash
# The profiler's own overhead on wall time: the same CPU-bound fixture workload (independent_cpu,
# sequential) run bare — the harness binary started directly and timed by this shell — against the
# sequential wall time `cargo concur profile` measures for it with counters on.
#
#   scripts/bench-profile.sh [RUNS]        (default 7; release build of cargo-concur)
#
# Prints both medians and the overhead ratio. Target: under 3%.
set -euo pipefail
runs="${1:-7}"
root="$(cd "$(dirname "$0")/.." && pwd)"
manifest="$root/fixtures/workloads/Cargo.toml"
harness="$root/fixtures/workloads/target/release/concur-harness-workloads"

cargo build --release --quiet --manifest-path "$root/Cargo.toml"
concur="$root/target/release/cargo-concur"

# Builds the harness (and warms the page cache) without timing anything.
"$concur" profile --manifest-path "$manifest" --no-tests --workload independent_cpu --workers 1 --runs 1 \
    --format json >/dev/null 2>&1

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

bare_runs=()
"$harness" run independent_cpu --model sequential --workers 1 >/dev/null   # warm-up
for _ in $(seq "$runs"); do
    start=$EPOCHREALTIME
    "$harness" run independent_cpu --model sequential --workers 1 >/dev/null
    end=$EPOCHREALTIME
    bare_runs+=("$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%d", (e - s) * 1e9 }')")
done
bare=$(printf '%s\n' "${bare_runs[@]}" | median)

json=$("$concur" profile --manifest-path "$manifest" --no-tests --workload independent_cpu --workers 1 \
    --runs "$runs" --format json 2>/dev/null)
tier=$(printf '%s\n' "$json" | sed -n 's/.*"counters": "\([a-z]*\)".*/\1/p' | head -n1)
# The first run in the document is the sequential one; its first `median` is the wall-time median.
profiled=$(printf '%s\n' "$json" | grep -m1 -A1 '"wall_ns"' | sed -n 's/.*"median": \([0-9]*\).*/\1/p')

awk -v b="$bare" -v p="$profiled" -v n="$runs" -v t="$tier" 'BEGIN {
    printf "bare harness (sequential, %d runs):     median %8.1f ms\n", n, b / 1e6
    printf "under cargo concur profile (%s):  median %8.1f ms\n", t, p / 1e6
    printf "overhead on wall time: %+.2f%%\n", (p - b) * 100 / b
}'
