"""Scenario placement: what every Nova boot pays before its filters run,
Placement's GET /allocation_candidates, beside valetd's whole decision for
a one-server stack, on the same 5,000 resource providers, in the same run:
bench/openstack-refresh --candidates-only brings up the loopback cloud of
tests/openstack/cloud.py (Debian's Keystone, Placement, Nova, Cinder,
Neutron), generates the providers through Placement's API, and times both,
one request at a time (bench/README.md, step 5).

It needs the OpenStack packages scripts/install-deps installs and takes
about five minutes, so --quick does not run it (its row says so).
"""
import json
import os
import subprocess

from . import common
from .common import BenchError, row

TOOL = os.path.join(common.REPO, "bench", "openstack-refresh")


def measure(ctx):
    out = ctx.scratch("placement", "out", ".")
    env = dict(os.environ, VALET_BUILD_DIR=ctx.build_dir)
    proc = subprocess.run(["/usr/bin/python3", TOOL, "--candidates-only", "--out", out],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    if proc.returncode != 0:
        raise BenchError(f"bench/openstack-refresh --candidates-only failed: "
                         f"{proc.stdout.strip()[-800:]}")
    with open(os.path.join(out, "results.json")) as f:
        return json.load(f)


def run(ctx):
    if ctx.quick:
        note = "not run with --quick (it brings up the OpenStack test cloud)"
        return {"summary": [row("placement", "allocation candidates", None, note=note)],
                "details": {}, "report": f"**{note}.**"}
    res = measure(ctx)
    cand = res["candidates"]["allocation_candidates"]
    plan = res["candidates"]["valetd_one_server_plan"]
    rows = [row("placement", "valetd one-server decision p50 (POST /v1/plans)",
                plan["p50_ms"] * 1e3,
                "Placement GET /allocation_candidates p50, same providers, same run",
                cand["p50_ms"] * 1e3, "us",
                note=f"{res['providers']:,} providers; {cand['returned']} candidates returned"),
            row("placement", "valetd one-server decision p99", plan["p99_ms"] * 1e3,
                "Placement GET /allocation_candidates p99", cand["p99_ms"] * 1e3, "us")]
    return {"summary": rows, "details": res, "report": report(res)}


def report(res):
    cand = res["candidates"]["allocation_candidates"]
    plan = res["candidates"]["valetd_one_server_plan"]
    table = common.table(
        ["one request at a time", "n", "p50 ms", "p99 ms", "max ms"],
        [[f"Placement GET /allocation_candidates (Nova's limit; {cand['returned']} returned)",
          cand["n"], common.fmt(cand["p50_ms"]), common.fmt(cand["p99_ms"]),
          common.fmt(cand["max_ms"])],
         ["valetd POST /v1/plans, a one-server stack, same cloud", plan["n"],
          common.fmt(plan["p50_ms"]), common.fmt(plan["p99_ms"]), common.fmt(plan["max_ms"])]])
    ratio = cand["p50_ms"] / plan["p50_ms"] if plan["p50_ms"] else None
    placement = res.get("packages", {}).get("python3-placement", "(Debian's)")
    return "\n".join([
        f"{res['providers']:,} resource providers generated through Placement's API "
        f"({res['generation']['generate_s']} s), Placement {placement} as the test cloud "
        "runs it (uwsgi, one process).", "", table, "",
        f"Placement's answer alone, before any of Nova's filters runs, takes "
        f"**{common.fmt(ratio)}×** valetd's whole decision at the median, the journal's "
        "fsync included."])
