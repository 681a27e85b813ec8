#!/usr/bin/env python3
"""Summaries of a `perf script` dump of a build, as docs/PERFORMANCE.md quotes them.

Record and dump (call graphs with DWARF, so that inlined Rust frames are named):
    perf record -F 999 --call-graph dwarf,16384 -o perf.data \\
        target/release/openssc build --root SITE --output-dir OUT
    perf script -i perf.data > perf.txt

Then:
    scripts/perf-summary.py perf.txt categories    share of samples by part of the build
    scripts/perf-summary.py perf.txt leaf [RE]     by the function a sample was taken in
    scripts/perf-summary.py perf.txt incl [RE]     by function, with what it calls
    scripts/perf-summary.py perf.txt callers RE    who calls the functions matching RE
    scripts/perf-summary.py perf.txt timeline      samples per 100 ms (both cores busy?)

Percentages are of all samples of the process (both threads). Categories go by the first
that matches any frame of a sample, in the order listed in CATEGORIES: a rayon closure's
type names the modules of its items, so a category is approximate where pipelines run side
by side (the tables' pipeline names `opendata::xlsx` in its closures).
"""

import collections
import re
import sys

CATEGORIES = [
    ("SHA-256 (SHA256SUMS)", r"sha2::"),
    ("deflate (archive, workbook)", r"zlib_rs|crc32fast|opendata::quick"),
    ("tables, CSV and workbook", r"opendata::xlsx|opendata::csv|csv_core|opendata::tables"),
    ("Markdown", r"openssc::markdown::"),
    ("templates (minijinja)", r"Renderer::render|minijinja::template"),
    ("link check", r"linkcheck::"),
    ("page contexts (views)", r"render::views::Views::page"),
    ("table rows, report", r"site::make_rows|render::report"),
    ("YAML", r"openssc::yaml|load::parse_yaml|saphyr"),
    ("validation", r"openssc::validate|jsonschema"),
    ("JSON downloads", r"opendata::json|serde_json"),
    ("IATI", r"opendata::iati"),
    ("writing files", r"Staging::write|StagingSink|write::"),
    ("reading files", r"load::"),
    ("index, aggregates", r"aggregate::|Index::new"),
]


def samples(path):
    """Yields (header, frames) per sample; frames innermost first, offsets and hashes cut."""
    header, frames = None, []
    with open(path, errors="replace") as f:
        for line in f:
            if not line.strip():
                if header is not None:
                    yield header, frames
                header, frames = None, []
            elif line[0] not in " \t":
                header = line
            else:
                parts = line.strip().split(None, 1)
                if len(parts) == 2:
                    frame = re.sub(r"\+0x[0-9a-f]+", "", parts[1])
                    frame = re.sub(r"::h[0-9a-f]{16}", "", frame)
                    frames.append(frame.strip())
    if header is not None:
        yield header, frames


def short(frame):
    return re.sub(r"\s*\([^()]*\)$", "", frame)[:110]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    path, mode, pattern = sys.argv[1], sys.argv[2], (sys.argv[3] if len(sys.argv) > 3 else None)
    regex = re.compile(pattern) if pattern else None
    counts, total = collections.Counter(), 0
    for header, frames in samples(path):
        total += 1
        if mode == "categories":
            joined = "\n".join(frames)
            name = next((n for n, p in CATEGORIES if re.search(p, joined)), "other")
            counts[name] += 1
        elif mode == "leaf" and frames:
            counts[short(frames[0])] += 1
        elif mode == "incl":
            for frame in {short(f) for f in frames}:
                counts[frame] += 1
        elif mode == "callers" and regex:
            hit = next((i for i, f in enumerate(frames) if regex.search(f)), None)
            if hit is not None:
                above = [short(f) for f in frames[hit + 1:] if not regex.search(f)]
                counts[" <- ".join(above[:2])] += 1
        elif mode == "timeline":
            match = re.search(r"\s(\d+\.\d+):", header)
            if match:
                counts[float(match.group(1))] += 1
    if mode == "timeline":
        if counts:
            start = min(counts)
            buckets = collections.Counter()
            for t, n in counts.items():
                buckets[int((t - start) * 10)] += n
            for b in sorted(buckets):
                print(f"{b / 10:5.1f} s {buckets[b]:5d}")
        return
    if total == 0:
        sys.exit("no samples")
    rows = [(k, n) for k, n in counts.most_common() if mode not in ("leaf", "incl") or not regex or regex.search(k)]
    for key, n in rows[:60]:
        print(f"{100 * n / total:6.2f} % {key}")


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:  # piped into `head`
        sys.stderr.close()
