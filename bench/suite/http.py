"""Scenario http: valetd with its embedded store (sqlite, in a temporary data
folder) under wrk (hey when wrk is missing): plan creation for 10-server
stacks (POST /v1/plans) and reserve calls (POST /v1/placements/{id}), and
GET / as the floor of what the HTTP layer costs.

Until the REST API for plans and placements exists, POST /v1/plans answers
404 or 405: the scenario says "not available yet" for those figures and
measures what exists.
"""
import concurrent.futures
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

from . import common
from .common import BenchError, row

CONNECTIONS = 8
THREADS = 2
STACK_SERVERS = 10

PLAN_LUA = r"""
local n = 0
local template = [==[@BODY@]==]
function setup(thread)
  thread:set("tid", tostring(math.random(1, 1e9)))
end
request = function()
  n = n + 1
  local id = "http-" .. tid .. "-" .. n
  return wrk.format("POST", "/v1/plans", {["Content-Type"] = "application/json"},
                    (template:gsub("@ID@", id)))
end
"""

RESERVE_LUA = r"""
local targets = {@TARGETS@}
local i = 0
request = function()
  i = i % #targets + 1
  local t = targets[i]
  local body = '{"action": "reserve", "locations": ["' .. t[2] .. '"], "resource_id": "' ..
               t[1] .. '-uuid"}'
  return wrk.format("POST", "/v1/placements/" .. t[1],
                    {["Content-Type"] = "application/json"}, body)
end
"""


def inventory(ctx):
    """5,000 roomy hosts (100 racks of 50), so that a run of plan creations never fills them."""
    racks, hosts = [], []
    for r in range(100):
        rname = f"r{r:03d}"
        racks.append({"name": rname})
        hosts += [{"name": f"{rname}h{h:02d}", "rack": rname, "vcpus": 256, "ram_mb": 1048576,
                   "disk_gb": 20000} for h in range(50)]
    inv = {"datacenter": "http", "racks": racks, "hosts": hosts,
           "flavors": [{"name": "small", "vcpus": 2, "ram_mb": 4096, "disk_gb": 40},
                       {"name": "medium", "vcpus": 4, "ram_mb": 8192, "disk_gb": 80}]}
    path = ctx.scratch("http", "inventory.json")
    common.write_json(path, inv)
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url, method="GET", body=None, timeout=10):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def start(ctx, inv):
    port = free_port()
    data_dir = ctx.scratch("http", "data", ".")
    log = open(ctx.scratch("http", "valetd.log"), "w")
    proc = subprocess.Popen([ctx.valetd, "--listen", f"127.0.0.1:{port}", "--data-dir",
                             data_dir, "--inventory", inv, "--log-level", "warning"],
                            stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(100):
        if proc.poll() is not None:
            break
        try:
            if call(base + "/", timeout=1)[0] == 200:
                return proc, base
        except OSError:
            pass
        time.sleep(0.1)
    stop(proc)
    with open(log.name) as f:
        raise BenchError(f"valetd did not start: {f.read()[-600:]}")


def stop(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def to_us(value, unit):
    return float(value) * {"us": 1, "ms": 1e3, "s": 1e6, "m": 6e7}[unit]


def load(ctx, url, seconds, script=None):
    """Requests/s, p50 and p99 in µs, and non-2xx answers, from wrk (or hey for GETs)."""
    if shutil.which("wrk"):
        cmd = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency"]
        if script:
            cmd += ["-s", script]
        out = subprocess.run(cmd + [url], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             text=True).stdout
        rps = re.search(r"Requests/sec:\s*([\d.]+)", out)
        pct = {p: re.search(rf"^\s*{p}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
               for p in ("50", "99")}
        bad = re.search(r"Non-2xx or 3xx responses:\s*(\d+)", out)
        total = re.search(r"(\d+) requests in", out)
        if rps is None or None in pct.values():
            raise BenchError(f"cannot read wrk's output: {out[-400:]}")
        return {"tool": "wrk", "requests_per_s": float(rps.group(1)),
                "p50_us": to_us(*pct["50"].groups()), "p99_us": to_us(*pct["99"].groups()),
                "requests": int(total.group(1)) if total else None,
                "non_2xx": int(bad.group(1)) if bad else 0}
    if shutil.which("hey") and script is None:
        out = subprocess.run(["hey", "-z", f"{seconds}s", "-c", str(CONNECTIONS), url],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True).stdout
        rps = re.search(r"Requests/sec:\s*([\d.]+)", out)
        p50 = re.search(r"50%+ in ([\d.]+) secs", out)
        p99 = re.search(r"99%+ in ([\d.]+) secs", out)
        if not (rps and p50 and p99):
            raise BenchError(f"cannot read hey's output: {out[-400:]}")
        return {"tool": "hey", "requests_per_s": float(rps.group(1)),
                "p50_us": float(p50.group(1)) * 1e6, "p99_us": float(p99.group(1)) * 1e6}
    raise BenchError("neither wrk nor hey is installed (Debian packages wrk, hey)")


def plan_body(sid):
    res = {}
    for k in range(STACK_SERVERS):
        res[f"{sid}-vm{k}"] = common.server(["small", "medium"][k % 2], name=f"{sid}-vm{k}")
    res[f"{sid}-div"] = common.assignment("diversity", "host",
                                          [f"{sid}-vm{k}" for k in range(STACK_SERVERS)])
    return common.plan(sid, res)


def write_script(ctx, name, text):
    path = ctx.scratch("http", name)
    with open(path, "w") as f:
        f.write(text)
    return path


def measure_plans(ctx, base, seconds):
    body = json.dumps(plan_body("@ID@"))
    script = write_script(ctx, "plans.lua", PLAN_LUA.replace("@BODY@", body))
    return load(ctx, base + "/v1/plans", seconds, script)


def reserve_targets(base, n_plans=50, prefix="rsv"):
    """Placements of n_plans fresh plans to reserve: (orchestration id, host)."""
    targets = []
    for i in range(n_plans):
        status, text = call(base + "/v1/plans", "POST", plan_body(f"{prefix}-{i}"))
        if status not in (200, 201):
            raise BenchError(f"POST /v1/plans answered {status} while preparing reserves")
        placements = json.loads(text).get("plan", {}).get("placements", {})
        for orch, p in placements.items():
            loc = p.get("location") if isinstance(p, dict) else None
            if loc:
                targets.append((orch, loc))
    if not targets:
        raise BenchError("POST /v1/plans returned no placements to reserve")
    return targets


def measure_reserve(ctx, base, seconds, targets):
    lua = ", ".join(f'{{"{o}", "{loc}"}}' for o, loc in targets)
    script = write_script(ctx, "reserve.lua", RESERVE_LUA.replace("@TARGETS@", lua))
    return load(ctx, base + "/v1/placements", seconds, script)


def reserve_once(base, target):
    """One first reservation of target; its latency in µs (raises on an error answer)."""
    orch, loc = target
    start = time.perf_counter()
    status, text = call(base + "/v1/placements/" + orch, "POST",
                        {"action": "reserve", "locations": [loc], "resource_id": orch + "-uuid"})
    took = (time.perf_counter() - start) * 1e6
    if status not in (200, 201):
        raise BenchError(f"first reserve of {orch} answered {status}: {text[:200]!r}")
    return took


def measure_first_reserves(base, targets):
    """Every target reserved once, from CONNECTIONS client threads: calls/s and latencies.

    Unlike the wrk run, which cycles over the same placements (after the
    first round every call takes the idempotent path that writes nothing),
    each of these calls holds a placement for the first time and so writes
    a journal entry; the client is Python (urllib), whose own time is in
    the latency."""
    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(CONNECTIONS) as pool:
        lat = sorted(pool.map(lambda t: reserve_once(base, t), targets))
    wall = time.perf_counter() - start
    return {"requests_per_s": len(lat) / wall, "p50_us": common.quantile(lat, 0.5),
            "p99_us": common.quantile(lat, 0.99),
            "calls": len(lat), "non_2xx": 0}


def measure_fsync(folder, n):
    """n writes of 4 KiB, each followed by fsync, in the store's folder: p50 and p99 in µs.

    The anchor of a first reservation's latency: valetd answers one only
    once its journal entry is on disk (sqlite's synchronous = full), so no
    reservation can be faster than one fsync of the same disk, and on a
    shared disk the fsync's tail is the reservation's tail."""
    path = os.path.join(folder, "fsync-probe")
    lat = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for _ in range(n):
            os.write(fd, b"\0" * 4096)
            start = time.perf_counter()
            os.fsync(fd)
            lat.append((time.perf_counter() - start) * 1e6)
    finally:
        os.close(fd)
        os.unlink(path)
    lat.sort()
    return {"p50_us": common.quantile(lat, 0.5), "p99_us": common.quantile(lat, 0.99),
            "calls": n}


def run(ctx):
    seconds = 2 if ctx.quick else 10
    proc, base = start(ctx, inventory(ctx))
    try:
        probe_plan = call(base + "/v1/plans", "POST", plan_body("probe"))[0]
        probe_rsv = call(base + "/v1/placements/probe-vm0", "POST",
                         {"action": "reserve", "locations": ["x"], "resource_id": "u"})[0]
        root = load(ctx, base + "/", seconds)
        plans = reserve = first = fsync = None
        plans_ok = probe_plan in (200, 201)
        if plans_ok:
            targets = reserve_targets(base)  # before the load, on an empty data center
            fresh = reserve_targets(base, 20 if ctx.quick else 200, "first")
            plans = measure_plans(ctx, base, seconds)
            reserve = measure_reserve(ctx, base, seconds, targets)
            first = measure_first_reserves(base, fresh)
            fsync = measure_fsync(ctx.scratch("http", "data", "."), 200 if ctx.quick else 2000)
    finally:
        stop(proc)
    rows = [row("http", "GET / requests/s (wrk, 8 connections)", root["requests_per_s"], None,
                None, "1/s", better="higher"),
            row("http", "GET / p99 latency", root["p99_us"], None, None, "us")]
    why = (f"not available yet: POST /v1/plans answers {probe_plan} and POST "
           f"/v1/placements/{{id}} answers {probe_rsv} (the REST API for plans and "
           "placements is not written yet)")
    if plans_ok:
        rows += [row("http", "plan creation, 10-server stacks, plans/s", plans["requests_per_s"],
                     None, None, "1/s", target=">= 1,000/s",
                     meets=plans["requests_per_s"] >= 1000, better="higher",
                     note=f"{plans.get('non_2xx', 0)} answers not 2xx"),
                 row("http", "plan creation p99 latency", plans["p99_us"], None, None, "us"),
                 row("http", "reserve calls/s", reserve["requests_per_s"], None, None, "1/s",
                     better="higher", note=f"{reserve.get('non_2xx', 0)} answers not 2xx"),
                 row("http", "reserve p99 latency", reserve["p99_us"], None, None, "us"),
                 row("http", "first reservations p99 latency", first["p99_us"],
                     "bare write + fsync of 4 KiB, same disk, same run (p99)",
                     fsync["p99_us"], "us", target="<= 5 ms", meets=first["p99_us"] <= 5000,
                     note=f"{first['calls']} placements reserved once each; fsync p50 "
                     f"{fsync['p50_us']:.0f} us")]
    else:
        rows += [row("http", "plan creation, 10-server stacks", None, note=why),
                 row("http", "reserve calls", None, note=why)]
    details = {"probe": {"POST /v1/plans": probe_plan, "POST /v1/placements/{id}": probe_rsv},
               "get_root": root, "plans": plans, "reserve": reserve, "first_reserve": first,
               "fsync": fsync, "seconds_each": seconds,
               "connections": CONNECTIONS, "threads": THREADS}
    return {"summary": rows, "details": details, "report": report(details, plans_ok, why)}


def report(d, plans_ok, why):
    out = ["valetd on 5,000 hosts, its sqlite store in a temporary folder, "
           f"{d['connections']} connections over {d['threads']} wrk threads for "
           f"{d['seconds_each']} s per figure, on the same 2-core machine as the load "
           "generator (which takes a share of the CPU).", ""]
    rows = [["GET /", common.fmt(d["get_root"]["requests_per_s"]),
             common.fmt(d["get_root"]["p50_us"]), common.fmt(d["get_root"]["p99_us"]),
             common.fmt(d["get_root"].get("non_2xx"))]]
    if plans_ok:
        for label, k in (("POST /v1/plans (10 servers)", "plans"),
                         ("POST /v1/placements/{id} (reserve)", "reserve"),
                         ("POST /v1/placements/{id} (first reservations)", "first_reserve")):
            rows.append([label, common.fmt(d[k]["requests_per_s"]), common.fmt(d[k]["p50_us"]),
                         common.fmt(d[k]["p99_us"]), common.fmt(d[k].get("non_2xx"))])
    else:
        rows.append(["POST /v1/plans (10 servers)", "not available yet", "—", "—", "—"])
        rows.append(["POST /v1/placements/{id} (reserve)", "not available yet", "—", "—", "—"])
    out.append(common.table(["request", "requests/s", "p50 µs", "p99 µs", "answers not 2xx"],
                            rows))
    if plans_ok:
        out += ["", "Plan creation: each request a new 10-server stack (unique stack and "
                "orchestration ids) in one diversity(host) group, placed by ostro and written "
                "to the store before the answer. Reserve: the fast path (the planned host is "
                "among `locations`), cycling over the 500 placements of 50 plans made "
                "beforehand. First reservations: the placements of other plans made "
                f"beforehand ({d['first_reserve']['calls']}), each reserved once from "
                f"{d['connections']} Python client threads (the client's own time is in "
                "the latency), so that each writes its journal entry. The disk's own "
                f"floor, measured right after them: {d['fsync']['calls']} writes of 4 KiB "
                f"each followed by fsync in the store's folder, p50 "
                f"{common.fmt(d['fsync']['p50_us'])} µs, p99 "
                f"{common.fmt(d['fsync']['p99_us'])} µs; a reservation is answered only "
                "once its entry is on disk, so none is faster than one fsync."]
    if not plans_ok:
        out += ["", f"**Plan creation and reserve: {why}.** The harness is ready: once "
                "POST /v1/plans answers 201, this scenario loads it with unique 10-server "
                "stacks and then reserves their placements."]
    return "\n".join(out)
