#!/usr/bin/env python3
"""Medians and ratios of the last `scoped_vs_raw` run, from criterion's samples.

Usage: python3 scripts/bench_report.py [target/criterion]

For each backend and operation, prints the median time per call through the
library and by hand (from every sample criterion kept, each sample's total
time divided by its iterations) and their ratio. Prints a Markdown table, to
paste into BENCHMARKS.md.
"""
import json
import pathlib
import statistics
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target/criterion")


def median_micros(backend: str, op: str, side: str) -> float | None:
    # Criterion turns the "/" of a benchmark id into "_" in its folder names.
    sample = root / backend / f"{op}_{side}" / "new" / "sample.json"
    if not sample.exists():
        return None
    data = json.loads(sample.read_text())
    per_call = [t / n for t, n in zip(data["times"], data["iters"])]
    return statistics.median(per_call) / 1000.0


print("| backend | operation | tenancy (median) | hand-written (median) | ratio |")
print("|---|---|---|---|---|")
for backend in ("sqlite", "postgres"):
    for op in ("list", "find", "insert"):
        library = median_micros(backend, op, "tenancy")
        by_hand = median_micros(backend, op, "raw")
        if library is None or by_hand is None:
            print(f"| {backend} | {op} | not run | not run | |")
            continue
        print(f"| {backend} | {op} | {library:.1f} µs | {by_hand:.1f} µs | {library / by_hand:.3f} |")
