"""Scenario trace: the Azure-derived temporal bin packing instances
(azure-tbpp/data/d1, sampled from the Azure packing trace 2020): every VM is
a one-server plan placed at its start and released at its end, in time order
(at equal times departures first: a VM is active on [start, end)).

Hosts: as many as VMs ever run at once (so every arrival fits), each with the
instance's capacity in ram_mb; flavors of the VMs' sizes. Peak active hosts
(hosts holding at least one replayed VM) is set against the time-indexed
lower bound max over t of ceil(sum of active sizes / capacity), computed with
the same convention. events/s = events / time spent in vlt__engine_place and
vlt__engine_release.
"""
import math
import os

from . import common
from .common import BenchError, row

TARGET_RATIO = 1.10
TARGET_EVENTS = 500000
NOVA_SETTINGS = {"solver.nova.weigher": "ram_stack"}


def read(path):
    with open(path) as f:
        head = f.readline().split()
        n, cap = int(head[0]), int(head[1])
        vms = []
        for line in f:
            p = line.split()
            if len(p) >= 4:
                vms.append((int(p[0]), int(p[1]), int(p[2]), int(p[3])))
    if len(vms) != n:
        raise BenchError(f"{path}: header says {n} VMs, {len(vms)} found")
    return cap, vms


def timeline(vms):
    """Events in replay order: (time, 0 = departure / 1 = arrival, idx, size)."""
    ev = []
    for idx, start, end, size in vms:
        if end <= start:
            continue  # active on an empty interval
        ev.append((start, 1, idx, size))
        ev.append((end, 0, idx, size))
    ev.sort()
    return ev


def bounds(ev, cap):
    """(time-indexed lower bound, most VMs active at once)."""
    load = active = best = most = 0
    for _, kind, _, size in ev:
        if kind == 1:
            load += size
            active += 1
            best = max(best, math.ceil(load / cap))
            most = max(most, active)
        else:
            load -= size
            active -= 1
    return best, most


def pick(ctx, names):
    names = sorted(names)
    if not ctx.quick:
        return names
    # one instance of each size class (100, 200, 500, 1000 VMs) and lifetime class
    chosen, seen = [], set()
    for n in names:
        key = tuple(n.split("_")[:2])
        if key not in seen and n.endswith("_1.txt"):
            seen.add(key)
            chosen.append(n)
    return [c for c in chosen if c.split("_")[1] in ("2", "inf")][:6]


def build(ctx, name, cap, vms, ev, most):
    sizes = sorted({v[3] for v in vms})
    inv = {"datacenter": name, "allocation_ratios": {"vcpus": 1, "ram_mb": 1, "disk_gb": 1},
           "hosts": [{"name": f"h{i:04d}", "vcpus": 0, "ram_mb": cap, "disk_gb": 0}
                     for i in range(max(most, 1))],
           "flavors": [{"name": f"s{s}", "vcpus": 0, "ram_mb": s, "disk_gb": 0}
                       for s in sizes]}
    inv_path = ctx.scratch("trace", name + ".json")
    common.write_json(inv_path, inv)
    events = []
    for _, kind, idx, size in ev:
        if kind == 1:
            sid = f"vm{idx}"
            events.append({"place": common.plan(sid, {"vm": common.server(f"s{size}")})})
        else:
            events.append({"release": f"vm{idx}"})
    ev_path = ctx.scratch("trace", name + ".events.jsonl")
    common.write_jsonl(ev_path, events)
    return inv_path, ev_path


def instances(ctx):
    """The instances to replay, each as a dict: name, vms, lb (the time-indexed
    bound), most (VMs active at once), inv and events (the generated files)."""
    folder = ctx.data("azure-tbpp", "data", "d1")
    out = []
    for fn in pick(ctx, [n for n in os.listdir(folder) if n.endswith(".txt")]):
        name = fn[:-4]
        cap, vms = read(os.path.join(folder, fn))
        ev = timeline(vms)
        lb, most = bounds(ev, cap)
        inv, evp = build(ctx, name, cap, vms, ev, most)
        out.append({"name": name, "vms": vms, "n_events": len(ev), "lb": lb, "most": most,
                    "inv": inv, "events": evp})
    return out


def run(ctx):
    insts = instances(ctx)
    jobs, meta = [], []
    for it in insts:
        name, vms, inv, evp = it["name"], it["vms"], it["inv"], it["events"]
        for solver in ("ostro", "nova"):
            job = {"name": f"{name}/{solver}", "inventory": inv, "solver": solver,
                   "events": evp, "track_hosts": True}
            if solver == "nova":
                job["settings"] = NOVA_SETTINGS
            jobs.append(job)
        meta.append((name, len(vms), it["n_events"], it["lb"], it["most"]))
    ctx.log(f"  trace: {len(insts)} instances x ostro, nova")
    figs = common.all_placed(ctx.replay(jobs, "trace"), "trace")
    per = []
    for k, (name, n, n_ev, lb, most) in enumerate(meta):
        fo, fn = figs[2 * k], figs[2 * k + 1]
        per.append({"name": name, "vms": n, "events": n_ev, "lb": lb, "most_active": most,
                    "ostro_peak": fo["peak_active_hosts"], "nova_peak": fn["peak_active_hosts"],
                    "ostro_s": (fo["place_ms"] + fo["release_ms"]) / 1e3,
                    "nova_s": (fn["place_ms"] + fn["release_ms"]) / 1e3,
                    "ostro_p99_us": fo["lat_us"]["p99"], "nova_p99_us": fn["lat_us"]["p99"]})
    tot = {k: sum(p[k] for p in per) for k in ("events", "lb", "ostro_peak", "nova_peak",
                                               "ostro_s", "nova_s")}
    eps_o = tot["events"] / tot["ostro_s"] if tot["ostro_s"] else None
    eps_n = tot["events"] / tot["nova_s"] if tot["nova_s"] else None
    ratio = tot["ostro_peak"] / tot["lb"]
    rows = [
        row("trace", "ostro peak active hosts vs time-indexed bound", tot["ostro_peak"],
            "time-indexed lower bound (sum over instances)", tot["lb"], "hosts",
            target=f"<= {TARGET_RATIO} x bound", meets=ratio <= TARGET_RATIO),
        row("trace", "nova (ram_stack) peak active hosts vs bound", tot["nova_peak"],
            "time-indexed lower bound", tot["lb"], "hosts"),
        row("trace", "ostro events/s (place + release)", eps_o, "target", TARGET_EVENTS, "1/s",
            target=f">= {TARGET_EVENTS:,}/s", meets=eps_o >= TARGET_EVENTS if eps_o else None,
            better="higher"),
        row("trace", "ostro events/s vs nova", eps_o, "nova (ram_stack), same events",
            eps_n, "1/s", better="higher"),
    ]
    return {"summary": rows, "details": {"instances": per},
            "report": report(per, tot, eps_o, eps_n)}


def by_class(per):
    """Per-instance figures grouped by size and lifetime class, in order: [((n, life), [..])]."""
    groups = {}
    for p in per:
        n, life = p["name"].split("_")[:2]
        groups.setdefault((int(n), life), []).append(p)
    return sorted(groups.items())


def report(per, tot, eps_o, eps_n):
    out = [__doc__.split("\n\n", 1)[1].strip(), "",
           f"Targets: peak at most {TARGET_RATIO}× the bound; at least {TARGET_EVENTS:,} "
           "events/s (benchmarks.md sets it at n = 10,000; these instances have at most "
           "1,000 VMs). nova runs with the stacking weigher (best fit).", ""]
    rows = []
    for (n, life), ps in by_class(per):
        lb = sum(p["lb"] for p in ps)
        o, nv = sum(p["ostro_peak"] for p in ps), sum(p["nova_peak"] for p in ps)
        ev = sum(p["events"] for p in ps)
        so = sum(p["ostro_s"] for p in ps)
        rows.append([n, life, len(ps), lb, o, f"{o / lb:.3f}", nv, f"{nv / lb:.3f}",
                     ev / so if so else None, max(p["ostro_p99_us"] for p in ps)])
    out.append(common.table(["VMs", "class", "instances", "bound", "ostro peak", "ostro/bound",
                             "nova peak", "nova/bound", "ostro events/s", "ostro p99 µs"],
                            rows))
    r = tot["ostro_peak"] / tot["lb"]
    out += ["", f"All: ostro {tot['ostro_peak']:,} hosts at peak against a bound of "
            f"{tot['lb']:,} ({r:.3f}×, target ≤ {TARGET_RATIO}: "
            f"{common.verdict(r <= TARGET_RATIO)}); nova {tot['nova_peak']:,} "
            f"({tot['nova_peak'] / tot['lb']:.3f}×). Events/s: ostro {common.fmt(eps_o)} "
            f"(target {TARGET_EVENTS:,}: {common.verdict(eps_o >= TARGET_EVENTS)}), "
            f"nova {common.fmt(eps_n)}."]
    return "\n".join(out)
