"""Scenario reservations: plans with an interval (issue 12), through the
engine's timeline.

1. Known ahead. The Azure-derived temporal instances of the trace scenario
   (azure-tbpp/data/d1, times in minutes over 14 days) replayed as
   reservations: every VM, in order of arrival, is one plan reserved for its
   lifetime [start, end), as RFC 3339 times from a fixed epoch, all of them
   placed before any time passes (no release). Peak active hosts is counted
   over time from the placements (a host is active while one of its VMs is,
   departures first at equal times) and set against the time-indexed lower
   bound; the same instances replayed online (the trace scenario's replay:
   each VM placed at its start and released at its end) run beside it, and
   the reservations submitted largest first (at equal sizes in order of
   arrival), an order only a schedule known ahead allows.
2. Ordinary plans beside future reservations. 5,000 hosts (the throughput
   scenario's data center) hold 1,000 open-ended plans and then 0, 1,000 or
   100,000 reservations of one small server each, starting within the next
   30 days for 1 to 72 hours; then one-server plans, multi-server stacks
   (five servers on different hosts) and further reservations are placed and
   timed. Each is set against the same requests on the same data center with
   no timed holds at all (0 reservations), in the same process; the
   reservations' own cost against that of an ordinary one-server plan.
"""
import datetime
import json
import random

from . import common, throughput, trace
from .common import row

TARGET_PEAK_RATIO = 1.05
TARGET_SLOWDOWN = 2.0
EPOCH = datetime.datetime(2027, 1, 4, tzinfo=datetime.timezone.utc)
HORIZON_H = 30 * 24
TINY = {"name": "tiny", "vcpus": 1, "ram_mb": 2048, "disk_gb": 20}
STACK_SIZE = 5


def rfc3339(minutes):
    """The time `minutes` after the fixed epoch, as the plan request takes it."""
    t = EPOCH + datetime.timedelta(minutes=minutes)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def timed(req, start_min, end_min):
    req["start"] = rfc3339(start_min)
    req["end"] = rfc3339(end_min)
    return req


# ---------------------------------------------------------------- 1. known ahead

ORDERS = {"arrival": lambda v: (v[1], v[0]), "largest": lambda v: (-v[3], v[1], v[0])}


def ahead_events(vms, order_name):
    """Every VM with a non-empty life as a reservation, in the order named (ORDERS)."""
    order = sorted((v for v in vms if v[2] > v[1]), key=ORDERS[order_name])
    events, lives = [], []
    for idx, start, end, size in order:
        sid = f"vm{idx}"
        req = common.plan(sid, {"vm": common.server(f"s{size}")})
        events.append({"place": timed(req, start, end)})
        lives.append((start, end))
    return events, lives


def peak_over_time(results, lives):
    """Most hosts active at once: results are the replay's lines, one per event."""
    ev = []
    for line, (start, end) in zip(results, lives):
        if line["rc"] != 0:
            continue
        for p in line["result"]["placements"].values():
            ev.append((start, 1, p["location"]))
            ev.append((end, 0, p["location"]))
    ev.sort()  # departures (0) before arrivals (1) at equal times
    count, active, peak = {}, 0, 0
    for _, kind, host in ev:
        if kind == 1:
            count[host] = count.get(host, 0) + 1
            if count[host] == 1:
                active += 1
                peak = max(peak, active)
        else:
            count[host] -= 1
            if count[host] == 0:
                active -= 1
    return peak


def known_ahead(ctx):
    insts = trace.instances(ctx)
    jobs, meta = [], []
    for it in insts:
        name, lb, inv, online = it["name"], it["lb"], it["inv"], it["events"]
        ahead = []
        for order in ORDERS:
            events, lives = ahead_events(it["vms"], order)
            ev_path = ctx.scratch("reservations", f"{name}.{order}.jsonl")
            res_path = ctx.scratch("reservations", f"{name}.{order}.results.jsonl")
            common.write_jsonl(ev_path, events)
            jobs.append({"name": f"{name}/{order}", "inventory": inv, "events": ev_path,
                         "results": res_path})
            ahead.append((res_path, lives))
        jobs.append({"name": f"{name}/online", "inventory": inv, "events": online,
                     "track_hosts": True})
        meta.append((name, len(lives), lb, ahead))
    ctx.log(f"  reservations: {len(insts)} trace instances known ahead and online")
    figs = common.all_placed(ctx.replay(jobs, "reservations-ahead"), "reservations")
    per = []
    step = len(ORDERS) + 1
    for k, (name, n, lb, ahead) in enumerate(meta):
        fa, fl, fo = figs[step * k], figs[step * k + 1], figs[step * k + 2]
        peaks = [peak_over_time(common.read_jsonl(path), lives) for path, lives in ahead]
        per.append({"name": name, "vms": n, "lb": lb, "ahead_peak": peaks[0],
                    "largest_peak": peaks[1], "online_peak": fo["peak_active_hosts"],
                    "largest_per_s": n / (fl["place_ms"] / 1e3) if fl["place_ms"] else None,
                    "ahead_per_s": n / (fa["place_ms"] / 1e3) if fa["place_ms"] else None,
                    "ahead_p99_us": fa["lat_us"]["p99"]})
    return per


# ---------------------------------------------------------------- 2. beside reservations

def beside_inventory(ctx, n_hosts):
    """The throughput scenario's data center with a one-vCPU flavor for the reservations."""
    with open(throughput.inventory(ctx, n_hosts)) as f:
        inv = json.load(f)
    inv["flavors"] = inv["flavors"] + [TINY]
    path = ctx.scratch("reservations", f"inv-{n_hosts}.json")
    common.write_json(path, inv)
    return path


def reservation(i, rng, tag):
    start_h = rng.randrange(1, HORIZON_H)
    hours = rng.randint(1, 72)
    req = common.plan(f"{tag}-{i}", {"vm": common.server("tiny", name=f"{tag}-{i}")})
    return timed(req, start_h * 60, (start_h + hours) * 60)


def stack(i, rng):
    res = {f"s{k}": common.server(rng.choice(throughput.FLAVORS[:4])["name"])
           for k in range(STACK_SIZE)}
    res["spread"] = common.assignment("diversity", "host", sorted(res))
    return common.plan(f"stack-{i}", res)


def measured(kind, n, rng):
    if kind == "plans":
        return [throughput.request("plain", i, rng) for i in range(n)]
    if kind == "stacks":
        return [stack(i, rng) for i in range(n)]
    return [reservation(i, rng, "new") for i in range(n)]


def beside_events(ctx, kind, n_resv, n):
    wrng, hrng = random.Random("warm"), random.Random("held")
    evs = [{"place": throughput.request("warm", i, wrng), "warm": True}
           for i in range(throughput.WARM)]
    evs += [{"place": reservation(i, hrng, "held"), "warm": True} for i in range(n_resv)]
    mrng = random.Random(f"measured-{kind}")
    evs += [{"place": req} for req in measured(kind, n, mrng)]
    path = ctx.scratch("reservations", f"ev-{kind}-{n_resv}.jsonl")
    common.write_jsonl(path, evs)
    return path


def beside(ctx):
    counts = [0, 1000] if ctx.quick else [0, 1000, 100000]
    sizes = {"plans": 200, "stacks": 50, "resv": 200} if ctx.quick else \
        {"plans": 10000, "stacks": 1000, "resv": 10000}
    repeats = 1 if ctx.quick else 3
    inv = beside_inventory(ctx, 5000)
    jobs, keys = [], []
    for kind, n in sizes.items():
        for n_resv in counts:
            ev = beside_events(ctx, kind, n_resv, n)
            for rep in range(repeats):
                jobs.append({"name": f"{kind}/{n_resv}/{rep}", "inventory": inv,
                             "events": ev})
                keys.append((kind, n_resv))
    ctx.log(f"  reservations: {len(jobs)} runs on 5,000 hosts ({repeats} of each)")
    by_key = {}
    figs = common.all_placed(ctx.replay(jobs, "reservations-beside"), "reservations")
    for key, f in zip(keys, figs):
        by_key.setdefault(key, []).append(throughput.figures(f))
    res = {}
    for key, reps in by_key.items():
        # the run with the median rate: the machine is shared, one run can be unlucky
        reps.sort(key=lambda r: r["decisions_per_s"] or 0)
        res[key] = dict(reps[len(reps) // 2], rates=[r["decisions_per_s"] for r in reps])
    return counts, res


# ---------------------------------------------------------------- report

def run(ctx):
    per = known_ahead(ctx)
    counts, res = beside(ctx)
    lb = sum(p["lb"] for p in per)
    ahead, online = sum(p["ahead_peak"] for p in per), sum(p["online_peak"] for p in per)
    largest = sum(p["largest_peak"] for p in per)
    rows = [row("reservations", "peak active hosts, trace known ahead as reservations", ahead,
                "time-indexed lower bound (sum over instances)", lb, "hosts",
                target=f"<= {TARGET_PEAK_RATIO} x bound",
                meets=ahead / lb <= TARGET_PEAK_RATIO),
            row("reservations", "peak active hosts, known ahead, largest first", largest,
                "time-indexed lower bound", lb, "hosts"),
            row("reservations", "peak active hosts, the same trace online", online,
                "time-indexed lower bound", lb, "hosts")]
    rows += beside_rows(counts, res)
    return {"summary": rows, "details": {"instances": per, "beside": [
        dict(v, kind=k[0], reservations=k[1]) for k, v in res.items()]},
        "report": report(per, lb, (ahead, largest, online), counts, res)}


def slowdown(res, kind, n_resv, anchor_kind=None):
    a = res[(anchor_kind or kind, 0)]["decisions_per_s"]
    v = res[(kind, n_resv)]["decisions_per_s"]
    return a / v if a and v else None


def beside_rows(counts, res):
    rows = []
    for kind, what in (("plans", "one-server plans/s"), ("stacks", "5-server stacks/s")):
        for n in counts[1:]:
            s = slowdown(res, kind, n)
            rows.append(row("reservations", f"{what} beside {n:,} reservations, 5,000 hosts",
                            res[(kind, n)]["decisions_per_s"], "same, no timed holds",
                            res[(kind, 0)]["decisions_per_s"], "1/s",
                            target=f"within {TARGET_SLOWDOWN:g}x",
                            meets=s <= TARGET_SLOWDOWN if s else None, better="higher"))
    for n in counts:
        rows.append(row("reservations", f"reservations/s beside {n:,} reservations",
                        res[("resv", n)]["decisions_per_s"],
                        "one-server plans/s, no timed holds",
                        res[("plans", 0)]["decisions_per_s"], "1/s", better="higher"))
    return rows


def report(per, lb, peaks, counts, res):
    ahead, largest, online = peaks
    out = [__doc__.split("\n\n", 1)[1].strip(), "",
           f"Targets: peak at most {TARGET_PEAK_RATIO}× the bound when the trace is known "
           f"ahead; ordinary placements beside future reservations within "
           f"{TARGET_SLOWDOWN:g}× of the rate without timed holds.", "",
           "Known ahead, per instance class:", ""]
    rows = []
    for (n, life), ps in trace.by_class(per):
        b = sum(p["lb"] for p in ps)
        a, o = sum(p["ahead_peak"] for p in ps), sum(p["online_peak"] for p in ps)
        g = sum(p["largest_peak"] for p in ps)
        rows.append([n, life, len(ps), b, a, f"{a / b:.3f}", g, f"{g / b:.3f}", o,
                     f"{o / b:.3f}", max(p["ahead_p99_us"] for p in ps)])
    out.append(common.table(["VMs", "class", "instances", "bound", "ahead peak",
                             "ahead/bound", "largest first", "largest/bound", "online peak",
                             "online/bound", "reservation p99 µs"], rows))
    out += ["", f"All: known ahead {ahead:,} hosts at peak against a bound of {lb:,} "
            f"({ahead / lb:.3f}×, target ≤ {TARGET_PEAK_RATIO}: "
            f"{common.verdict(ahead / lb <= TARGET_PEAK_RATIO)}); largest first {largest:,} "
            f"({largest / lb:.3f}×); online {online:,} ({online / lb:.3f}×).", "",
            "Beside future reservations, 5,000 hosts (median of the repeats):", ""]
    rows = []
    for kind in ("plans", "stacks", "resv"):
        anchor = "plans" if kind == "resv" else kind
        for n in counts:
            r = res[(kind, n)]
            s = slowdown(res, kind, n, anchor)
            rows.append([kind, n, r["requests"], r["decisions_per_s"], r["p50_us"],
                         r["p99_us"], f"{s:.2f}×" if s else "—"])
    out.append(common.table(["placed", "reservations held", "requests", "per s", "p50 µs",
                             "p99 µs", "time vs no timed holds"], rows))
    out += ["", "*time vs no timed holds*: the time per placement against the same kind "
            "with 0 reservations (reservations against one-server plans)."]
    return "\n".join(out)
