#!/usr/bin/env python3
"""Property test: random data centers and stacks through `valet simulate --json`,
every placed plan checked by checker.py (independent of the engine).

usage: property_test.py VALET_BINARY [--seeds N] [--solver NAME ...]
Exit status 0 when every check holds.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checker  # noqa: E402

FLAVORS = [
    {"name": "tiny", "vcpus": 1, "ram_mb": 512, "disk_gb": 1},
    {"name": "small", "vcpus": 2, "ram_mb": 2048, "disk_gb": 20},
    {"name": "medium", "vcpus": 4, "ram_mb": 4096, "disk_gb": 40},
    {"name": "large", "vcpus": 8, "ram_mb": 8192, "disk_gb": 80},
    {"name": "xlarge", "vcpus": 16, "ram_mb": 16384, "disk_gb": 160},
]
NAMED = {  # named groups shared across plans: name -> (type, level)
    "shared-aff": ("affinity", "rack"),
    "shared-div": ("diversity", "host"),
    "ex-host": ("exclusivity", "host"),
    "ex-rack": ("exclusivity", "rack"),
}


def make_inventory(rng):
    clusters = [{"name": f"c{i}", "uplink_mbps": 160000} for i in range(rng.randint(1, 3))]
    racks, hosts, pools = [], [], []
    for c in clusters:
        for r in range(rng.randint(2, 4)):
            rname = f"{c['name']}r{r}"
            racks.append({"name": rname, "cluster": c["name"], "uplink_mbps": 40000})
            for h in range(rng.randint(2, 6)):
                host = {"name": f"{rname}h{h}", "rack": rname,
                        "vcpus": rng.choice([4, 8, 16]),
                        "ram_mb": rng.choice([16384, 32768, 65536]),
                        "disk_gb": rng.choice([200, 500, 1000]),
                        "nic_mbps": 10000}
                if rng.random() < 0.15:
                    host["used"] = {"vcpus": 2, "ram_mb": 4096, "disk_gb": 40}
                if rng.random() < 0.05:
                    host["enabled"] = False
                if c is clusters[-1] and len(clusters) > 1:
                    host["availability_zone"] = "az2"
                hosts.append(host)
        pools.append({"name": f"pool-{c['name']}", "rack": f"{c['name']}r0",
                      "capacity_gb": 2000, "volume_types": ["lvm"]})
    hosts.append({"name": "loner", "vcpus": 16, "ram_mb": 32768, "disk_gb": 500})
    return {"datacenter": "dc", "allocation_ratios": {"vcpus": 2.0, "ram_mb": 1.0,
                                                      "disk_gb": 1.0},
            "clusters": clusters, "racks": racks, "hosts": hosts, "storage": pools,
            "flavors": FLAVORS}


def assignment(gtype, level, members, name=None):
    props = {"group_type": gtype, "level": level, "resources": members}
    if name:
        props["group_name"] = name
    return {"type": "ATT::Valet::GroupAssignment", "properties": props}


def make_plan(rng, n):
    res = {}
    servers = []
    for i in range(rng.randint(1, 8)):
        oid = f"p{n}-s{i}"
        props = {"flavor": rng.choice(FLAVORS[:4])["name"]}
        if rng.random() < 0.1:
            props["availability_zone"] = "nova"
        res[oid] = {"name": f"web-{n}-{i}", "type": "OS::Nova::Server", "properties": props}
        servers.append(oid)
    free = servers[:]
    rng.shuffle(free)

    def take(k):
        got = free[:k]
        del free[:k]
        return got

    pattern = rng.choice(["none", "aff", "div", "nested-div", "excl", "aff-div", "named"])
    lvl = rng.choice(["host", "rack"])
    if pattern == "aff" and len(free) >= 2:
        res[f"p{n}-g"] = assignment("affinity", lvl, take(rng.randint(2, 3)))
    elif pattern == "div" and len(free) >= 2:
        res[f"p{n}-g"] = assignment("diversity", lvl, take(rng.randint(2, 4)))
    elif pattern == "nested-div" and len(free) >= 4:
        res[f"p{n}-a1"] = assignment("affinity", "host", take(2))
        res[f"p{n}-a2"] = assignment("affinity", "host", take(2))
        res[f"p{n}-g"] = assignment("diversity", "rack", [f"p{n}-a1", f"p{n}-a2"])
    elif pattern == "excl" and len(free) >= 1:
        name = rng.choice(["ex-host", "ex-rack"])
        res[f"p{n}-g"] = assignment("exclusivity", NAMED[name][1], take(rng.randint(1, 2)),
                                    name)
    elif pattern == "aff-div" and len(free) >= 3:
        res[f"p{n}-d"] = assignment("diversity", "host", take(2))
        res[f"p{n}-g"] = assignment("affinity", "rack", [f"p{n}-d"] + take(1))
    elif pattern == "named" and len(free) >= 1:
        name = rng.choice(["shared-aff", "shared-div"])
        for oid in take(rng.randint(1, 2)):
            res[oid]["properties"]["metadata"] = {"valet": {"groups": [name]}}
    for k in range(rng.randint(0, 3)):
        if len(servers) >= 2:
            a, b = rng.sample(servers, 2)
            res[f"p{n}-pipe{k}"] = {"type": "ATT::Valet::Pipe", "properties": {
                "resources": [a, b], "bandwidth": {"min": rng.choice([10, 100, 500]),
                                                   "units": "Mbps"}}}
    if rng.random() < 0.3:
        res[f"p{n}-vol"] = {"name": f"vol-{n}", "type": "OS::Cinder::Volume",
                            "properties": {"size": rng.choice([10, 50, 100]),
                                           "volume_type": "lvm"}}
        res[f"p{n}-att"] = {"type": "OS::Cinder::VolumeAttachment",
                            "properties": {"instance_uuid": servers[0],
                                           "volume_id": f"p{n}-vol"}}
    return {"plan_name": f"plan-{n}", "stack_id": f"stack-{n}", "resources": res}


def run_seed(valet, seed, solver, tmp):
    rng = random.Random(seed)
    inv = make_inventory(rng)
    groups = {"groups": [{"name": k, "type": t, "level": lv, "members": []}
                         for k, (t, lv) in NAMED.items()]}
    plans = [make_plan(rng, n) for n in range(rng.randint(10, 30))]
    paths = {"inv": os.path.join(tmp, f"inv-{seed}.json"),
             "groups": os.path.join(tmp, f"groups-{seed}.json")}
    with open(paths["inv"], "w") as f:
        json.dump(inv, f)
    with open(paths["groups"], "w") as f:
        json.dump(groups, f)
    cmd = [valet, "simulate", "--inventory", paths["inv"], "--groups", paths["groups"],
           "--solver", solver, "--json"]
    for n, p in enumerate(plans):
        path = os.path.join(tmp, f"plan-{seed}-{n}.json")
        with open(path, "w") as f:
            json.dump(p, f)
        cmd += ["--plan", path]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    if out.returncode not in (0, 1):
        return [f"seed {seed}: exit {out.returncode}: {out.stderr.strip()}"], 0, 0
    lines = out.stdout.splitlines()
    if len(lines) != len(plans):
        return [f"seed {seed}: {len(lines)} result lines for {len(plans)} plans"], 0, 0
    chk = checker.Checker(inv, groups)
    errs, placed, refused = [], 0, 0
    for n, (plan, line) in enumerate(zip(plans, lines)):
        res = json.loads(line)
        if res["status"]["type"] == "ok":
            placed += 1
            errs += [f"seed {seed} plan {n} ({solver}): {e}" for e in chk.check(n, plan, res)]
        else:
            refused += 1
            if not res["status"]["message"] or res["placements"]:
                errs.append(f"seed {seed} plan {n}: refusal without reason or with placements")
    if (refused > 0) != (out.returncode == 1):
        errs.append(f"seed {seed}: exit {out.returncode} with {refused} refused plans")
    return errs, placed, refused


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("valet")
    ap.add_argument("--seeds", type=int, default=40)
    ap.add_argument("--solver", action="append")
    a = ap.parse_args()
    solvers = a.solver or ["ostro", "nova"]
    failures, placed, refused = [], 0, 0
    with tempfile.TemporaryDirectory() as tmp:
        for solver in solvers:
            for seed in range(a.seeds):
                e, p, r = run_seed(a.valet, seed, solver, tmp)
                failures += e
                placed += p
                refused += r
    for f in failures[:50]:
        print("FAIL", f)
    print(f"{placed} plans placed and checked, {refused} refused with a reason; "
          f"{len(failures)} violations")
    return 1 if failures or placed == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
