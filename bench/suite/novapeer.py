"""Scenario novapeer: the holistic scenario's stacks on its 5,000 hosts,
placed by Valet (ostro), by the project's own one-server-at-a-time baseline
(the nova solver) and by Nova itself: Debian's python3-nova filters and
weighers driven by bench/nova_filter_scheduler.py, one boot request per
server, in the same run on the same inputs.

Every placement is checked by tests/engine/checker.py against the stack's
groups: what Nova cannot express (groups at rack level, groups of groups,
more than one group per server) shows as violations of the real scheduler,
not as a failure of the run. Servers per second count the servers of the
stacks placed, divided by the time their placement took (for Nova, its
filters and weighers in one Python process, Placement's share computed in
that process too; Placement's own HTTP cost comes on top in a real cloud,
see bench/openstack-refresh).
"""
import os
import subprocess

from . import common, holistic
from .common import BenchError, row

DRIVER = os.path.join(common.REPO, "bench", "nova_filter_scheduler.py")
PYTHON = "/usr/bin/python3"   # Debian's python3-nova is importable only there
SOLVERS = ("ostro", "nova", "real-nova")


def nova_available():
    proc = subprocess.run([PYTHON, "-c", "import nova.scheduler.filters"],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    return proc.returncode == 0, proc.stderr.strip()[-300:]


def run_real_nova(inv_path, ev_path, out_path):
    proc = subprocess.run([PYTHON, DRIVER, inv_path, ev_path, out_path],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        raise BenchError(f"{DRIVER} failed: {proc.stderr.strip()[-800:]}")


def cases(ctx):
    """(load, size, stacks): the holistic scenario's first sizes, its seeds."""
    if ctx.quick:
        return [(60, 10, 2)]
    return [(load, size, k) for load in (30, 60, 85) for size, k in ((10, 30), (100, 10))]


def figures(checker, inv, reqs, results):
    """Placed share, cost, cross-rack, hosts used, servers/s and violations of one run."""
    placed = servers = 0
    us = 0.0
    chk = checker.Checker(inv)
    violations, per = [], {}
    for k, line in enumerate(results):
        res = line.get("result")
        if res is None or res["status"]["type"] != "ok":
            continue
        req = reqs[line["i"]]
        n = sum(1 for r in req["resources"].values() if r["type"] == "OS::Nova::Server")
        placed += 1
        servers += n
        us += line["us"]
        m = res["metrics"]
        per[line["i"]] = {"cost": m["bandwidth_cost"], "cross": m["cross_rack_mbps"],
                          "hosts": m["hosts_used"]}
        violations += [f"stack {k}: {e}" for e in chk.check(k, req, res)]
    return {"accept": placed / len(reqs), "per_stack": per,
            "servers_per_s": servers / (us / 1e6) if us else None,
            "violations": violations, "placements": placements_of(results)}


def paired(case, key):
    """key summed over the stacks every solver placed: {solver: total}, and their count."""
    both = set.intersection(*(set(case[s]["per_stack"]) for s in SOLVERS))
    return {s: sum(case[s]["per_stack"][i][key] for i in both) for s in SOLVERS}, len(both)


def placements_of(results):
    out = {}
    for line in results:
        res = line.get("result")
        if res and res["status"]["type"] == "ok":
            for oid, p in res["placements"].items():
                out[(line["i"], oid)] = p["location"]
    return out


def same_host_share(a, b):
    """Of the units both placed, the share on the same host or pool."""
    both = [k for k in a if k in b]
    return sum(1 for k in both if a[k] == b[k]) / len(both) if both else None


def run_case(ctx, checker, load, size, k):
    inv_path, inv, _ = holistic.inventory(ctx, "big", 4, 25, 50, load)
    reqs = [holistic.stack(f"s{size}-{i}", size, f"{load}-{size}-{i}") for i in range(k)]
    ev = ctx.scratch("novapeer", f"ev-{load}-{size}.jsonl")
    common.write_jsonl(ev, [{"place": r} for r in reqs])
    outs = {s: ctx.scratch("novapeer", f"res-{load}-{size}-{s}.jsonl") for s in SOLVERS}
    jobs = [{"name": f"{load}/{size}/{s}", "inventory": inv_path, "solver": s,
             "load": ["nova"], "events": ev, "results": outs[s]} for s in SOLVERS[:2]]
    holistic.no_errors(ctx.replay(jobs, f"novapeer-{load}-{size}"))
    run_real_nova(inv_path, ev, outs["real-nova"])
    figs = {s: figures(checker, inv, reqs, common.read_jsonl(outs[s])) for s in SOLVERS}
    figs["same_host_nova_vs_real"] = same_host_share(figs["nova"]["placements"],
                                                     figs["real-nova"]["placements"])
    for s in SOLVERS:
        del figs[s]["placements"]
    for key in ("cost", "cross", "hosts"):
        figs[key], figs["paired"] = paired(figs, key)
    for s in SOLVERS:
        del figs[s]["per_stack"]
    return figs


def run(ctx):
    ok, why = nova_available()
    if not ok:
        raise BenchError(f"python3-nova is not importable by {PYTHON}: {why}")
    checker = holistic.load_checker(ctx)
    table = []
    for load, size, k in cases(ctx):
        ctx.log(f"  novapeer: {k} stacks of {size} servers at {load}% load")
        table.append({"load": load, "size": size, "stacks": k,
                      **run_case(ctx, checker, load, size, k)})
    details = [dict(t, **{s: dict(t[s], violations=len(t[s]["violations"]))
                          for s in SOLVERS}) for t in table]
    return {"summary": summary_rows(table), "details": {"cases": details},
            "plots": [], "report": report(table)}


def totals(table, solver, key):
    return sum(t[key][solver] for t in table)


def summary_rows(table):
    rows = []
    for key, metric, unit in (("cost", "bandwidth cost", "Mb/s x levels"),
                              ("cross", "cross-rack traffic", "Mb/s")):
        o, r = totals(table, "ostro", key), totals(table, "real-nova", key)
        rows.append(row("novapeer", f"ostro {metric} vs Nova's FilterScheduler", o,
                        "python3-nova filters and weighers, same stacks, same run", r, unit))
    high = [t for t in table if t["load"] == max(x["load"] for x in table)]
    ao = sum(t["ostro"]["accept"] * t["stacks"] for t in high) / sum(t["stacks"] for t in high)
    ar = sum(t["real-nova"]["accept"] * t["stacks"] for t in high) / sum(
        t["stacks"] for t in high)
    rows.append(row("novapeer", f"ostro acceptance vs Nova, {high[0]['load']}% load", ao,
                    "Nova's FilterScheduler, same stacks", ar, "share",
                    target=">= Nova", meets=ao >= ar, better="higher"))
    so = min(t["ostro"]["servers_per_s"] or 0 for t in table)
    sr = max(t["real-nova"]["servers_per_s"] or 0 for t in table)
    rows.append(row("novapeer", "ostro servers/s vs Nova (ostro's slowest case, Nova's "
                    "fastest)", so, "Nova's FilterScheduler", sr, "1/s", better="higher"))
    rows.append(row("novapeer", "ostro violations of the stacks' groups (checker.py)",
                    sum(len(t["ostro"]["violations"]) for t in table), "zero", 0, "",
                    target="0", meets=all(not t["ostro"]["violations"] for t in table)))
    rows.append(row("novapeer", "Nova's violations of the stacks' groups (checker.py)",
                    sum(len(t["real-nova"]["violations"]) for t in table), None, None, ""))
    return rows


def trio(by_solver):
    return " / ".join(common.fmt(by_solver[s]) for s in SOLVERS)


def report(table):
    out = [__doc__.split("\n\n", 1)[1].strip(), "",
           "Per case (load, servers per stack, stacks): stacks placed; over the stacks "
           "all three placed, bandwidth cost (2 × Mb/s × distance over every pipe), "
           "cross-rack traffic and hosts used, summed; servers placed per second; and the "
           "checker's violations of the stacks' groups. *nova* is the project's baseline solver; "
           "*Nova* is python3-nova's FilterScheduler.", ""]
    hdr = ["load", "servers", "stacks", "placed o / n / N", "all placed", "cost o / n / N",
           "o/N",
           "cross-rack o / n / N", "hosts o / n / N", "servers/s o / n / N", "o/N speed",
           "violations o / n / N", "n on N's host"]
    rows = []
    for t in table:
        o, n, r = t["ostro"], t["nova"], t["real-nova"]
        rows.append([f"{t['load']}%", t["size"], t["stacks"],
                     " / ".join(f"{100 * x['accept']:.0f}%" for x in (o, n, r)), t["paired"],
                     trio(t["cost"]),
                     f"{t['cost']['ostro'] / t['cost']['real-nova']:.3f}"
                     if t["cost"]["real-nova"] else "—",
                     trio(t["cross"]), trio(t["hosts"]),
                     " / ".join(common.fmt(x["servers_per_s"]) for x in (o, n, r)),
                     f"{o['servers_per_s'] / r['servers_per_s']:,.0f}×"
                     if o["servers_per_s"] and r["servers_per_s"] else "—",
                     " / ".join(str(len(x["violations"])) for x in (o, n, r)),
                     f"{100 * t['same_host_nova_vs_real']:.0f}%"
                     if t["same_host_nova_vs_real"] is not None else "—"])
    out.append(common.table(hdr, rows))
    samples = [e for t in table for e in t["real-nova"]["violations"][:1]][:4]
    if samples:
        out += ["", "Nova's violations, first of each case: " +
                "; ".join(f"`{e}`" for e in samples)]
    return "\n".join(out)
