"""Scenario throughput: one server per plan, shaped like kube-scheduler's
scheduler_perf cases, at 5,000 and 15,000 hosts (and a curve of the plain case
over host counts).

Cases (kube-scheduler floor, pods/s, at 5,000 nodes):
  plain        random flavors                                  SchedulingBasic       680
  anti         one named diversity(host) group for all servers RequiredAntiAffinity   60
  affinity     named affinity(host) groups of 4 servers        RequiredAffinity       35
  rack-spread  named diversity(rack) groups of 10 servers      TopologySpreading     460
  exclusivity  20 named exclusivity(host) groups, round robin  (no kube case)          —
  infeasible   plain with every 10th request fitting no host   Unschedulable         590

1,000 plain servers are placed first and left out of the figures, as the
kube cases start from initial pods. Each case's requests are the same for
ostro and nova (default RAM-spreading weigher), each in a fresh engine. A
decision is a placement or a refusal; decisions/s = decisions / time spent in
vlt__engine_place.
"""
import random

from . import common
from .common import row

HOST = {"vcpus": 64, "ram_mb": 262144, "disk_gb": 2000, "nic_mbps": 10000}
FLAVORS = [
    {"name": "small", "vcpus": 2, "ram_mb": 4096, "disk_gb": 40},
    {"name": "medium", "vcpus": 4, "ram_mb": 8192, "disk_gb": 80},
    {"name": "large", "vcpus": 8, "ram_mb": 16384, "disk_gb": 160},
    {"name": "xlarge", "vcpus": 16, "ram_mb": 32768, "disk_gb": 320},
    {"name": "huge", "vcpus": 4096, "ram_mb": 4194304, "disk_gb": 64000},  # fits no host
]
CASES = [  # name, kube case, floor pods/s
    ("plain", "SchedulingBasic 5k nodes", 680),
    ("anti", "required pod anti-affinity 5k nodes", 60),
    ("affinity", "required pod affinity 5k nodes", 35),
    ("rack-spread", "TopologySpreading 5k nodes", 460),
    ("exclusivity", None, None),
    ("infeasible", "Unschedulable 5k nodes", 590),
]
TARGET_FACTOR = 100
PLAIN_P99_TARGET_US = 50.0
WARM = 1000


def inventory(ctx, n_hosts):
    """Clusters of 25 racks of 50 hosts (a smaller data center: one cluster)."""
    per_rack = 50
    n_racks = n_hosts // per_rack
    racks_per_cluster = min(25, n_racks)
    clusters, racks, hosts = [], [], []
    for r in range(n_racks):
        c = r // racks_per_cluster
        if r % racks_per_cluster == 0:
            clusters.append({"name": f"c{c:02d}", "uplink_mbps": 160000})
        rname = f"c{c:02d}r{r % racks_per_cluster:02d}"
        racks.append({"name": rname, "cluster": f"c{c:02d}", "uplink_mbps": 40000})
        for h in range(per_rack):
            hosts.append(dict(HOST, name=f"{rname}h{h:02d}", rack=rname))
    inv = {"datacenter": f"tp{n_hosts}", "clusters": clusters, "racks": racks,
           "hosts": hosts, "flavors": FLAVORS}
    path = ctx.scratch("throughput", f"inv-{n_hosts}.json")
    common.write_json(path, inv)
    return path


def request(case, i, rng):
    sid = f"{case}-{i}"
    flavor = rng.choice(FLAVORS[:4])["name"]
    res = {"vm": common.server(flavor, name=sid)}
    if case == "anti":
        res["g"] = common.assignment("diversity", "host", ["vm"], name="anti")
    elif case == "affinity":
        res["g"] = common.assignment("affinity", "host", ["vm"], name=f"aff-{i // 4}")
    elif case == "rack-spread":
        res["g"] = common.assignment("diversity", "rack", ["vm"], name=f"spread-{i // 10}")
    elif case == "exclusivity":
        res["g"] = common.assignment("exclusivity", "host", ["vm"], name=f"ex-{i % 20}")
    elif case == "infeasible" and i % 10 == 9:
        res["vm"] = common.server("huge", name=sid)
    return common.plan(sid, res)


def events(ctx, case, n_hosts, n):
    rng = random.Random(f"{case}-{n_hosts}")
    evs = [{"place": request("warm", i, rng), "warm": True} for i in range(WARM)]
    evs += [{"place": request(case, i, rng)} for i in range(n)]
    path = ctx.scratch("throughput", f"ev-{case}-{n_hosts}.jsonl")
    common.write_jsonl(path, evs)
    return path


def figures(f):
    decisions = f["placed"] + f["refused"]
    return {"requests": f["measured"], "placed": f["placed"], "refused": f["refused"],
            "errors": f["errors"],
            "decisions_per_s": decisions / (f["place_ms"] / 1e3) if f["place_ms"] else None,
            "p50_us": f["lat_us"]["p50"], "p90_us": f["lat_us"]["p90"],
            "p99_us": f["lat_us"]["p99"], "max_us": f["lat_us"]["max"]}


def count(ctx, case, n_hosts):
    n = 1000 if ctx.quick else 10000
    if case == "anti":  # one group: every member on its own host
        n = min(n, int(0.4 * n_hosts))
    return n


def run(ctx):
    sizes = [5000] if ctx.quick else [5000, 15000]
    repeats = 1 if ctx.quick else 3
    curve = [1000, 5000, 15000] if ctx.quick else [1000, 5000, 10000, 15000]
    invs = {h: inventory(ctx, h) for h in sorted(set(sizes + curve))}
    jobs, keys = [], []
    for h in sorted(invs):
        for case, _, _ in CASES:
            if case != "plain" and h not in sizes:
                continue
            ev = events(ctx, case, h, count(ctx, case, h))
            for rep in range(repeats):
                for solver in ("ostro", "nova"):
                    jobs.append({"name": f"{case}/{h}/{solver}/{rep}", "inventory": invs[h],
                                 "solver": solver, "load": ["nova"], "events": ev})
                    keys.append((case, h, solver))
    ctx.log(f"  throughput: {len(jobs)} runs ({repeats} of each)")
    figs = ctx.replay(jobs, "throughput")
    by_key = {}
    for key, f in zip(keys, figs):
        by_key.setdefault(key, []).append(figures(f))
    res = {}
    for (case, h, solver), reps in by_key.items():
        # the run with the median rate: the machine is shared, one run can be unlucky
        reps.sort(key=lambda r: r["decisions_per_s"] or 0)
        res[(case, h, solver)] = dict(reps[len(reps) // 2], case=case, hosts=h, solver=solver,
                                      repeats=len(reps),
                                      rates=[r["decisions_per_s"] for r in reps])
    rows = summary_rows(res, sizes)
    plots = [p for p in [plot(ctx, res, curve)] if p]
    return {"summary": rows, "details": {"runs": list(res.values())}, "plots": plots,
            "report": report(res, sizes, curve)}


def summary_rows(res, sizes):
    rows = []
    for case, kube, floor in CASES:
        for h in sizes:
            r = res[(case, h, "ostro")]
            rate = r["decisions_per_s"]
            anchor = f"kube-scheduler floor, {kube} (pods/s)" if kube else "no kube case"
            rows.append(row("throughput", f"ostro {case} decisions/s, {h:,} hosts", rate,
                            anchor, floor, "1/s",
                            target=f">= {TARGET_FACTOR}x floor" if floor else None,
                            meets=(rate >= TARGET_FACTOR * floor) if floor and rate else None,
                            better="higher"))
            p99_target = PLAIN_P99_TARGET_US if case == "plain" and h == 5000 else None
            rows.append(row("throughput", f"ostro {case} p99 latency, {h:,} hosts",
                            r["p99_us"], "kube mean time per pod at its floor (1/floor)"
                            if floor else "no kube case", 1e6 / floor if floor else None, "us",
                            target=f"<= {p99_target:g} us" if p99_target else None,
                            meets=r["p99_us"] <= p99_target if p99_target else None))
    o, n = res[("plain", 5000, "ostro")], res[("plain", 5000, "nova")]
    rows.append(row("throughput", "ostro plain decisions/s vs nova, 5,000 hosts",
                    o["decisions_per_s"], "nova, same requests, same run",
                    n["decisions_per_s"], "1/s", better="higher"))
    return rows


def report(res, sizes, curve):
    out = ["One server per plan through `vlt__engine_place` (stack parse, policies, solve, "
           "commit, result JSON), after 1,000 unmeasured plain placements; each run is repeated (3 times in a full run) and the one with the median rate is shown. The kube-scheduler "
           "figures are its CI floors (pass/fail minima, in-process API server) at 5,000 "
           "nodes, not a measurement on this machine, and include API and binding work that "
           "this in-process figure does not: the ratio says how far the core decision is "
           f"from them, with {TARGET_FACTOR}x as the target.", ""]
    hdr = ["case", "hosts", "solver", "requests", "placed", "refused", "decisions/s",
           "p50 µs", "p99 µs", "max µs", "kube floor", "× floor", "target", "verdict"]
    rows = []
    for case, kube, floor in CASES:
        for h in sizes:
            for solver in ("ostro", "nova"):
                r = res[(case, h, solver)]
                rate = r["decisions_per_s"]
                ratio = rate / floor if floor and rate else None
                meets = ratio >= TARGET_FACTOR if ratio is not None else None
                rows.append([case, h, solver, r["requests"], r["placed"], r["refused"], rate,
                             r["p50_us"], r["p99_us"], r["max_us"], floor,
                             f"{ratio:,.0f}×" if ratio else "—",
                             f">= {TARGET_FACTOR}×" if floor else "—",
                             common.verdict(meets) if solver == "ostro" else "—"])
    out.append(common.table(hdr, rows))
    out += ["", "Plain case against the number of hosts:", ""]
    rows = []
    for h in curve:
        o, n = res[("plain", h, "ostro")], res[("plain", h, "nova")]
        rows.append([h, o["decisions_per_s"], o["p50_us"], o["p99_us"], n["decisions_per_s"],
                     n["p50_us"], n["p99_us"]])
    out.append(common.table(["hosts", "ostro /s", "ostro p50 µs", "ostro p99 µs", "nova /s",
                             "nova p50 µs", "nova p99 µs"], rows))
    errs = sum(r["errors"] for r in res.values())
    if errs:
        out += ["", f"**{errs} requests were rejected as invalid** (see results.json)."]
    return "\n".join(out)


def plot(ctx, res, curve):
    data = [[h, res[("plain", h, "ostro")]["p50_us"], res[("plain", h, "ostro")]["p99_us"],
             res[("plain", h, "nova")]["p50_us"], res[("plain", h, "nova")]["p99_us"]]
            for h in curve]
    script = common.data_block("d", data) + """
set title "Single-server placement latency against data-center size (plain case)"
set xlabel "hosts"
set ylabel "latency per placement (µs)"
set key top left
set grid
set yrange [0:*]
plot $d using 1:2 with linespoints title "ostro p50", \\
     $d using 1:3 with linespoints title "ostro p99", \\
     $d using 1:4 with linespoints title "nova p50", \\
     $d using 1:5 with linespoints title "nova p99"
"""
    return common.gnuplot(ctx, "throughput-latency-vs-hosts.png", script)
