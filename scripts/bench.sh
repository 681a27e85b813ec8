#!/usr/bin/env bash
# Benchmark of `openssc check`, `openssc build` and, when Hugo is installed, `hugo` on the
# same synthetic corpus (see docs/PERFORMANCE.md).
#
# Usage: scripts/bench.sh [--runs R] [--check-only] [--no-hugo]
#                        [--evict-outputs | --drop-caches] [N ...]
#   N             numbers of projects (default: 1000 10000 50000; or BENCH_NS="...")
#   --runs R      timed runs per command and N (default 5; or BENCH_RUNS), after one warm-up
#   --check-only  time `openssc check` only (what the former scripts/bench-check.sh did)
#   --no-hugo     skip Hugo even if it is installed
#   --evict-outputs before each timed check, build and Hugo build, evict the outputs of
#                 earlier commands from the page cache, so that every one starts with the
#                 same memory free whatever ran before (see below; needs python3)
#   --drop-caches (root only) the same, by emptying the whole page cache and reading the
#                 corpus and both binaries back into it (the file system's metadata cold)
# Environment: BENCH_DIR (default /tmp/openssc-bench) holds the corpora and outputs;
# OPENSSC=path times that binary instead of building target/release/openssc;
# BENCH_HUGO_UGLY=1 builds the Hugo site with `uglyURLs` (each page a file,
# `projects/<id>.html`, as openssc writes a record's page) instead of Hugo's default (a
# folder per page, `projects/<id>/index.html`): the same layout for both tools.
#
# Each command runs as a whole process under /usr/bin/time (peak resident memory); wall
# time is the median of the runs. Within one run the commands alternate (check, build,
# hugo, check, build, hugo, ...) so that a noisy neighbour affects all of them alike.
# `build` and `hugo` are builds into an output folder that does not exist (a fresh clone in
# CI): the previous run's output is moved aside, outside the timing, and deleted only when
# every run is over, because on ext4 without a journal (this machine's disk) creating files
# just after deleting many makes the kernel skip each recently freed inode for up to six
# minutes, which would time the deletion rather than the tool (so run it when nothing was
# deleted in bulk in the last minutes, the end of a previous run of this script included;
# the corpora of a previous run are moved aside the same way; BENCH_DELETE=1 deletes the
# output just before each build instead, as the benchmark did until the fifth session);
# before each timed command, `sync` (outside the timing) writes back what the previous one
# left in the page cache, so that no command pays for another's writeback (at 50,000 the
# outputs are gigabytes; BENCH_SYNC=0 leaves it out, as until the sixth session);
# `rebuild` and `hugo_re` are the same builds run again at once over
# that output, nothing changed (a rebuild kept between runs: openssc updates it in place and
# writes no file, Hugo writes every file again). Without either option the page cache
# holds what earlier commands wrote (the outputs set aside are kept until the end): the
# builds of the last N run with gigabytes of earlier outputs in memory, those of the first
# N with none, so the kernel's cost of finding free pages weighs on the last N alone and on
# the growth between Ns. With --evict-outputs, before each check, build and Hugo build,
# `sync` then every file under $BENCH_DIR but the corpus of this N is dropped from the page
# cache (`posix_fadvise(DONTNEED)`: the earlier outputs set aside, the other corpora); the
# corpus, the programs and the file system's own blocks (inode tables, bitmaps, folders)
# stay cached as before. With --drop-caches, the whole page cache is emptied (`sync`,
# `echo 1 > /proc/sys/vm/drop_caches`, as hyperfine's `--prepare` does for cold caches),
# then every file of the corpus and both programs are read back: the file system's blocks
# are read from the disk again by the command, a cost that grows with the files written.
# `rebuild` and `hugo_re` follow their build at once either way. Prints one table row per
# N, the openssc/Hugo ratios, the growth between consecutive Ns and each run's time; rows
# also go to $BENCH_DIR/results.tsv.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${BENCH_RUNS:-5}
check_only=0
hugo_wanted=1
settle_option="" # --evict-outputs, --drop-caches or nothing
sizes=()
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --check-only) check_only=1; shift ;;
    --no-hugo) hugo_wanted=0; shift ;;
    --evict-outputs | --drop-caches) settle_option=$1; shift ;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0"; exit 0 ;;
    *) sizes+=("$1"); shift ;;
  esac
done
[ ${#sizes[@]} -gt 0 ] || read -r -a sizes <<< "${BENCH_NS:-1000 10000 50000}"
if [ "$settle_option" = --drop-caches ] && ! [ -w /proc/sys/vm/drop_caches ]; then
  echo "bench.sh --drop-caches needs to write /proc/sys/vm/drop_caches (run it as root)" >&2
  exit 2
fi
if [ "$settle_option" = --evict-outputs ] && ! command -v python3 >/dev/null; then
  echo "bench.sh --evict-outputs needs python3" >&2
  exit 2
fi
[ -x /usr/bin/time ] || { echo "bench.sh needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
hugo_bin=""
hugo_layout=default
if [ "${BENCH_HUGO_UGLY:-0}" = 1 ]; then
  export HUGO_UGLYURLS=true # Hugo reads any setting from HUGO_<NAME>
  hugo_layout=uglyURLs
fi
if [ "$hugo_wanted" = 1 ] && [ "$check_only" = 0 ] && command -v hugo >/dev/null; then
  hugo_bin=$(command -v hugo)
fi

gen=$PWD/target/release/examples/gen_corpus
if [ -n "${OPENSSC:-}" ]; then # a given binary, e.g. a baseline kept aside
  [ -x "$gen" ] || cargo build --release --quiet --example gen_corpus
  openssc=$(realpath "$OPENSSC")
else
  cargo build --release --quiet --example gen_corpus --bin openssc
  openssc=$PWD/target/release/openssc
fi
work=${BENCH_DIR:-/tmp/openssc-bench}
mkdir -p "$work"
# Outputs moved aside (see above), deleted when the script ends.
trash=$work/trash
rm -rf "$trash"
mkdir -p "$trash"
trap 'rm -rf "$trash"' EXIT
# set_aside DIR: makes DIR not exist, outside the timing (see above).
set_aside() {
  if [ "${BENCH_DELETE:-0}" = 1 ]; then
    rm -rf "$1"
  elif [ -e "$1" ]; then
    mv "$1" "$(mktemp -d "$trash/XXXXXX")/"
  fi
}
export SOURCE_DATE_EPOCH=1767225600 # a fixed build date: no `git log` per build

# settle: the page cache made the same for every timed command (--evict-outputs: every
# file under $work but this N's corpora evicted; --drop-caches: all of it emptied, then the
# corpora and the programs read back).
settle() {
  sync
  if [ "$settle_option" = --evict-outputs ]; then
    python3 - "$work" "$site" "$hugo_site" <<'EOF'
import os, sys
work, keep = sys.argv[1], {os.path.realpath(k) for k in sys.argv[2:]}
for folder, subfolders, files in os.walk(work):
    subfolders[:] = [s for s in subfolders if os.path.realpath(os.path.join(folder, s)) not in keep]
    for name in files:
        try:
            fd = os.open(os.path.join(folder, name), os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:
            continue
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)
EOF
  else
    echo 1 > /proc/sys/vm/drop_caches
    find "$site" "$hugo_site" "$openssc" ${hugo_bin:+"$hugo_bin"} -type f -exec cat {} + > /dev/null 2>&1 || true
  fi
}

# run NAME CMD...: runs CMD under /usr/bin/time, appends "seconds kib" to $work/NAME.txt.
run() {
  local name=$1
  shift
  local start end
  if [ -n "$settle_option" ]; then
    case "$name" in check | build | hugo) settle ;; esac
  fi
  [ "${BENCH_SYNC:-1}" = 1 ] && sync
  start=$(date +%s%N)
  /usr/bin/time -o "$work/time.txt" -f "%M" "$@" >/dev/null 2>"$work/stderr.txt" || {
    echo "failed: $*" >&2
    cat "$work/stderr.txt" >&2
    exit 1
  }
  end=$(date +%s%N)
  echo "$(( (end - start) / 1000000 )) $(tail -n 1 "$work/time.txt")" >> "$work/$name.txt"
}
# median NAME: median wall time in seconds; peak NAME: largest peak RSS in MiB.
median() { cut -d' ' -f1 "$work/$1.txt" | sort -n | awk '{a[NR]=$1} END {m = (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2; printf "%.3f", m / 1000}'; }
peak() { cut -d' ' -f2 "$work/$1.txt" | sort -n | tail -n 1 | awk '{printf "%.0f", $1 / 1024}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }

echo "openssc $($openssc --version 2>/dev/null | head -n 1), ${hugo_bin:+$($hugo_bin version | cut -d' ' -f1-2), }$(nproc) cores, $runs runs, $(date -u +%Y-%m-%d)"
[ -z "$hugo_bin" ] || echo "hugo layout: $hugo_layout"
echo "command: $([ "$hugo_layout" = uglyURLs ] && echo 'BENCH_HUGO_UGLY=1 ')scripts/bench.sh --runs $runs$([ $check_only = 1 ] && echo ' --check-only')$([ $hugo_wanted = 0 ] && echo ' --no-hugo')${settle_option:+ $settle_option} ${sizes[*]}"
results=$work/results.tsv
rm -f "$work/runs.txt"
printf 'N\tcheck_s\tcheck_MiB\tbuild_s\tbuild_MiB\thugo_s\thugo_MiB\trebuild_s\thugo_re_s\n' > "$results"
printf '%8s %9s %9s %9s %9s %9s %9s %11s %10s %10s %10s %11s\n' N check_s check_MiB build_s build_MiB hugo_s hugo_MiB build/hugo mem_ratio rebuild_s hugo_re_s re/hugo_re
declare -A check_t build_t hugo_t
for n in "${sizes[@]}"; do
  site=$work/site-$n
  hugo_site=$work/hugo-$n
  # The previous corpora are moved aside too, not deleted by the generator: deleting 60,000
  # files (50,000) slowed every build of the next minutes (see above).
  set_aside "$site"
  set_aside "$hugo_site"
  if [ -n "$hugo_bin" ]; then
    "$gen" --projects "$n" --hugo "$hugo_site" "$site" 2>/dev/null
  else
    "$gen" --projects "$n" "$site" 2>/dev/null
  fi
  rm -f "$work"/{check,build,hugo,rebuild,hugo_re}.txt
  for i in $(seq 0 "$runs"); do
    run check "$openssc" --root "$site" check --strict
    if [ "$check_only" = 0 ]; then
      set_aside "$work/out-$n"
      run build "$openssc" --root "$site" build --strict --output-dir "$work/out-$n"
      run rebuild "$openssc" --root "$site" build --strict --output-dir "$work/out-$n"
    fi
    if [ -n "$hugo_bin" ]; then
      set_aside "$work/hugo-out-$n"
      run hugo "$hugo_bin" --source "$hugo_site" --destination "$work/hugo-out-$n" --quiet
      run hugo_re "$hugo_bin" --source "$hugo_site" --destination "$work/hugo-out-$n" --quiet
    fi
    if [ "$i" = 0 ]; then # the warm-up run (page cache, first writes) is not counted
      rm -f "$work"/{check,build,hugo,rebuild,hugo_re}.txt
    fi
  done
  c=$(median check); cm=$(peak check)
  b=-; bm=-; h=-; hm=-; r=-; rm_=-; rb=-; hr=-; rr=-
  if [ "$check_only" = 0 ]; then b=$(median build); bm=$(peak build); rb=$(median rebuild); fi
  if [ -n "$hugo_bin" ]; then
    h=$(median hugo); hm=$(peak hugo); r=$(ratio "$b" "$h"); rm_=$(ratio "$bm" "$hm")
    hr=$(median hugo_re); rr=$(ratio "$rb" "$hr")
  fi
  check_t[$n]=$c; build_t[$n]=$b; hugo_t[$n]=$h
  printf '%8s %9s %9s %9s %9s %9s %9s %11s %10s %10s %10s %11s\n' "$n" "$c" "$cm" "$b" "$bm" "$h" "$hm" "$r" "$rm_" "$rb" "$hr" "$rr"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$c" "$cm" "$b" "$bm" "$h" "$hm" "$rb" "$hr" >> "$results"
  for name in check build rebuild hugo hugo_re; do # each timed run, in the order run
    if [ -s "$work/$name.txt" ]; then
      echo "$n $name$(awk '{printf " %.3f", $1 / 1000}' "$work/$name.txt")" >> "$work/runs.txt"
    fi
  done
done
# Growth: time(N2)/time(N1) for consecutive sizes, against the size ratio N2/N1.
prev=""
for n in "${sizes[@]}"; do
  if [ -n "$prev" ]; then
    line="growth $prev -> $n (x$(ratio "$n" "$prev")): check x$(ratio "${check_t[$n]}" "${check_t[$prev]}")"
    [ "$check_only" = 1 ] || line="$line, build x$(ratio "${build_t[$n]}" "${build_t[$prev]}")"
    [ -z "$hugo_bin" ] || line="$line, hugo x$(ratio "${hugo_t[$n]}" "${hugo_t[$prev]}")"
    echo "$line"
  fi
  prev=$n
done
echo "each run (s):"
sed 's/^/  /' "$work/runs.txt"
