#!/usr/bin/env python3
"""Run `bench/run --quick --out DIR` and check what it wrote: results.json parses,
has the machine, a summary row for every scenario with the agreed keys, no
scenario that could not run; report.md has a section per scenario and names
the plots it shows, which exist when gnuplot is installed.

usage: quick_test.py BENCH_RUN OUT_DIR   (VALET_BUILD_DIR names the build tree)
"""
import json
import os
import re
import shutil
import subprocess
import sys

SCENARIOS = ["vbp", "bpp", "throughput", "holistic", "trace", "http", "novapeer", "placement",
             "reservations"]
KEYS = {"scenario", "metric", "value", "anchor", "anchor_value", "ratio"}


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def main():
    run, out = sys.argv[1], sys.argv[2]
    shutil.rmtree(out, ignore_errors=True)
    proc = subprocess.run([sys.executable, run, "--quick", "--out", out])
    for name in ("results.json", "report.md"):
        if not os.path.isfile(os.path.join(out, name)):
            fail(f"{name} was not written")
    with open(os.path.join(out, "results.json")) as f:
        doc = json.load(f)
    for key in ("cpu", "cores", "memory_gb", "kernel", "compiler"):
        if not doc.get("machine", {}).get(key):
            fail(f"machine.{key} is missing")
    rows = doc.get("summary")
    if not isinstance(rows, list) or not rows:
        fail("summary is empty")
    for r in rows:
        if not KEYS <= set(r):
            fail(f"summary row without {sorted(KEYS - set(r))}: {r}")
        if r["scenario"] not in SCENARIOS:
            fail(f"unknown scenario in summary: {r['scenario']}")
        if r["value"] is None and not r.get("note"):
            fail(f"a row without value says nothing: {r}")
    for s in SCENARIOS:
        if not any(r["scenario"] == s for r in rows):
            fail(f"no summary row for scenario {s}")
        err = doc.get("scenarios", {}).get(s, {}).get("error")
        if err:
            fail(f"scenario {s} could not run: {err}")
    with open(os.path.join(out, "report.md")) as f:
        md = f.read()
    for s in SCENARIOS:
        if f"({s})" not in md:
            fail(f"report.md has no section for {s}")
    plots = re.findall(r"!\[[^]]*\]\(([^)]+\.png)\)", md)
    if shutil.which("gnuplot") and len(plots) < 2:
        fail("report.md shows fewer than two plots")
    for p in plots:
        if not os.path.isfile(os.path.join(out, p)):
            fail(f"plot {p} is named in report.md but missing")
    if proc.returncode != 0:
        fail(f"bench/run exited with {proc.returncode}")
    print(f"ok: {len(rows)} summary rows, {len(plots)} plots")


if __name__ == "__main__":
    main()
