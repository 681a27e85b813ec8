#!/usr/bin/env bash
# Benchmark of `openssc serve`'s incremental rebuilds on a synthetic corpus (see
# docs/PERFORMANCE.md): edits one project, then one actor, R times each, and reports
#   rebuild  the time serve prints for the rebuild ("built N files in X s": re-check, pages
#            made again and written), median and maximum;
#   seen     the wall time from the edit to that line (adds the watcher's latency and the
#            150 ms during which serve waits for a burst of saves to end);
#   data     the time of the open data made afterwards ("data downloads updated in Y s").
#
# Usage: scripts/bench-rebuild.sh [--runs R] [N]   (default: 10000 projects, 5 runs)
# Environment: BENCH_DIR (default /tmp/openssc-bench) holds the corpus;
# OPENSSC=path times that binary instead of building target/release/openssc.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=5
n=10000
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) n=$1; shift ;;
  esac
done
bench_dir=${BENCH_DIR:-/tmp/openssc-bench}
mkdir -p "$bench_dir"
gen=$PWD/target/release/examples/gen_corpus
if [ -z "${OPENSSC:-}" ]; then
  cargo build --release --quiet --example gen_corpus --bin openssc
  OPENSSC=$PWD/target/release/openssc
fi
[ -x "$gen" ] || cargo build --release --quiet --example gen_corpus

site=$bench_dir/rebuild-$n
if [ ! -f "$site/openssc.toml" ]; then
  rm -rf "$site"
  "$gen" --projects "$n" "$site" >/dev/null
fi
out=$bench_dir/rebuild-$n-out
log=$bench_dir/rebuild-$n.log
rm -rf "$out"
: > "$log"
"$OPENSSC" serve --root "$site" --port 0 --output-dir "$out" >"$log.stdout" 2>"$log" &
serve_pid=$!
trap 'kill $serve_pid 2>/dev/null; wait $serve_pid 2>/dev/null || true' EXIT

# Waits until the log holds `count` lines matching `pattern`; prints the last one.
wait_for() {
  local pattern=$1 count=$2
  for _ in $(seq 1 12000); do
    if [ "$(grep -c -- "$pattern" "$log" || true)" -ge "$count" ]; then
      grep -- "$pattern" "$log" | tail -1
      return 0
    fi
    sleep 0.01
  done
  echo "timed out waiting for '$pattern' (see $log)" >&2
  exit 1
}

start=$(date +%s.%N)
wait_for '^built ' 1 >/dev/null
echo "first (full) build: $(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN{printf "%.2f", e-s}') s for $n projects"
# Each build writes hundreds of megabytes (the data archive): let them reach the disk before
# the next edit, so that the kernel's writeback does not share the timed rebuild's cores.
settle_disk() { sync; sleep 1; }
settle_disk

project=$site/content/projects/project-000007.md
actor=$site/content/actors/actor-000003.md
builds=1
settles=0
declare -A rebuild seen data
for kind in project actor; do
  rebuild[$kind]=""; seen[$kind]=""; data[$kind]=""
done
for r in $(seq 1 "$runs"); do
  for kind in project actor; do
    if [ "$kind" = project ]; then
      sed -i "s/^title: \"Synthetic initiative \([0-9]*\).*\"/title: \"Synthetic initiative \1 (edit $r)\"/" "$project"
    else
      sed -i "s/^name: \"Synthetic actor \([0-9]*\).*\"/name: \"Synthetic actor \1 (edit $r)\"/" "$actor"
    fi
    edited=$(date +%s.%N)
    builds=$((builds + 1))
    line=$(wait_for '^built ' "$builds")
    now=$(date +%s.%N)
    settles=$((settles + 1))
    dline=$(wait_for '^data downloads updated' "$settles")
    settle_disk
    rebuild[$kind]+="$(sed -E 's/.* in ([0-9.]+) s.*/\1/' <<<"$line") "
    seen[$kind]+="$(awk -v s="$edited" -v e="$now" 'BEGIN{printf "%.3f", e-s}') "
    data[$kind]+="$(sed -E 's/.* in ([0-9.]+) s.*/\1/' <<<"$dline") "
    grep -q '^build failed' "$log" && { echo "a rebuild failed (see $log)" >&2; exit 1; }
  done
done

stats() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR]=$1} END{m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "median %.2f s, max %.2f s", m, a[NR]}'; }
for kind in project actor; do
  echo "edit one $kind ($runs runs):"
  echo "  rebuild: $(stats <<<"${rebuild[$kind]}")"
  echo "  seen:    $(stats <<<"${seen[$kind]}")"
  echo "  data:    $(stats <<<"${data[$kind]}")"
done
