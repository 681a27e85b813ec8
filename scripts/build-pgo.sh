#!/usr/bin/env bash
# Builds `openssc` with profile-guided optimization (PGO), for release binaries: about 9 %
# less CPU time for `openssc build` than `cargo build --release` (docs/PERFORMANCE.md,
# thirteenth session). The binary does the same thing and writes the same bytes; only the
# compiler's choices (inlining, code layout, branch order) follow a recorded run.
#
# Usage: scripts/build-pgo.sh [--train SITE ...]
#   --train SITE  also train on this site (a folder with openssc.toml): the editors' own
#                 records are the best profile for their builds; may be given several times
# Environment: PGO_DIR (default target/pgo) holds the profiles and the two builds.
# Output: $PGO_DIR/openssc (and the path printed on the last line).
#
# Steps: (1) build an instrumented binary (`-Cprofile-generate`); (2) run it on the training
# sites: `check` and `build` of the bundled example site (four languages, every kind of
# record) and of a synthetic site of 3,000 projects (`examples/gen_corpus`, seed 7, not the
# benchmark's seed 1), then of every --train SITE; (3) merge the raw profiles with the
# toolchain's `llvm-profdata` (`rustup component add llvm-tools`); (4) build again with
# `-Cprofile-use`. Both builds use the release profile (fat LTO): about 15 minutes on two
# cores.
set -euo pipefail
cd "$(dirname "$0")/.."

train=()
while [ $# -gt 0 ]; do
  case "$1" in
    --train) train+=("$(realpath "$2")"); shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "build-pgo.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

host=$(rustc -vV | sed -n 's/^host: //p')
profdata=$(rustc --print sysroot)/lib/rustlib/$host/bin/llvm-profdata
if [ ! -x "$profdata" ]; then
  rustup component add llvm-tools
fi
[ -x "$profdata" ] || { echo "build-pgo.sh: no llvm-profdata at $profdata" >&2; exit 2; }

work=$(realpath -m "${PGO_DIR:-target/pgo}")
raw=$work/raw
rm -rf "$raw" "$work/train"
mkdir -p "$raw" "$work/train"

# (1) The instrumented binary; the corpus generator as a plain release build.
RUSTFLAGS="-Cprofile-generate=$raw" cargo build --release --locked --quiet \
  --target-dir "$work/generate" --bin openssc
cargo build --release --locked --quiet --example gen_corpus

# (2) Training runs. A fixed build date, as in the benchmark: no `git log` per build.
export SOURCE_DATE_EPOCH=1767225600
instrumented=$work/generate/release/openssc
target/release/examples/gen_corpus --projects 3000 --seed 7 "$work/train/synthetic" >/dev/null
n=0
for site in "$PWD" "$work/train/synthetic" "${train[@]}"; do
  n=$((n + 1))
  echo "training on $site" >&2
  "$instrumented" check --root "$site" >/dev/null
  "$instrumented" build --root "$site" --output-dir "$work/train/out-$n" >/dev/null
done

# (3) One profile from the raw ones.
"$profdata" merge -o "$work/openssc.profdata" "$raw"

# (4) The optimized binary.
RUSTFLAGS="-Cprofile-use=$work/openssc.profdata" cargo build --release --locked --quiet \
  --target-dir "$work/use" --bin openssc
cp "$work/use/release/openssc" "$work/openssc"
rm -rf "$work/train"
echo "$work/openssc"
