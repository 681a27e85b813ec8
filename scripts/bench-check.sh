#!/usr/bin/env bash
# Benchmark of `openssc check` on synthetic sites (see docs/PERFORMANCE.md).
# Usage: scripts/bench-check.sh [N ...]   (default: 1000 10000)
# Prints, per N, the median wall time of 5 runs and the peak resident memory.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(1000 10000)
cargo build --release --quiet --example gen_corpus --bin openssc
work=${BENCH_DIR:-/tmp/openssc-bench}
mkdir -p "$work"
for n in "${sizes[@]}"; do
  site="$work/site-$n"
  ./target/release/examples/gen_corpus --projects "$n" "$site" 2>/dev/null
  ./target/release/openssc --root "$site" check --strict 2>/dev/null # warm the page cache
  times=()
  peak=0
  for _ in 1 2 3 4 5; do
    /usr/bin/time -o "$work/time.txt" -f "%e %M" ./target/release/openssc --root "$site" check --strict 2>/dev/null
    out=$(tail -n 1 "$work/time.txt")
    times+=("${out% *}")
    mem=${out#* }
    [ "$mem" -gt "$peak" ] && peak=$mem
  done
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n 3p)
  echo "check N=$n projects: median ${median}s of 5 runs (${times[*]}), peak RSS $((peak / 1024)) MiB"
done
