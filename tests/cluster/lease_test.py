#!/usr/bin/env python3
"""Several valetd on one store, the periodic work done once: exactly one
holds the lease at a time; a holder paused (SIGSTOP) past its lease is
replaced and, resumed, does no periodic work; the holder killed with SIGKILL is replaced
within lease_s and a margin, at a higher term; the plans acknowledged
before the kill are all there, none twice; every hold expires exactly once
(one journal entry a plan, one instance logging it) after the takeover; a
clean stop (SIGTERM) hands the lease over without waiting for it to expire.

usage: lease_test.py VALETD MOCKMONGOD [--store mongodb|sqlite] [--instances N]
With mongodb: VALET_TEST_MONGODB_URI when set, otherwise the project's MongoDB
wire-protocol test server (as tests/cluster/cluster_test.py). With sqlite:
one database file shared by every instance.
"""
import argparse
import collections
import json
import os
import re
import signal
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cluster_test import (Checks, Valetd, call, inventory, plan, start_mongo,  # noqa: E402
                          stop_all)

LEASE_S = 3      # renewed every second
HOLD_TTL_S = 12  # long enough that the plans' holds expire after the takeover
N_PLANS = 6      # single-server plans; the test inventory has room for 8
WAIT_S = 60      # generous: the machine is shared and noisy


def lease_of(node):
    status, body = call(node.port, "GET", "/v1/status")
    assert status == 200, (node.name, status, body)
    return body["status"]["lease"]


def leases(nodes):
    return {n.name: lease_of(n) for n in nodes}


def holders(seen):
    return [name for name, lease in seen.items() if lease["held"]]


def wait_for_one_holder(nodes, not_term_below=0):
    """The leases once exactly one instance holds it at a term >= not_term_below."""
    deadline = time.time() + WAIT_S
    while time.time() < deadline:
        seen = leases(nodes)
        held = holders(seen)
        if len(held) == 1 and seen[held[0]]["term"] >= not_term_below:
            return seen
        time.sleep(0.2)
    raise AssertionError(f"no single holder within {WAIT_S} s: {seen}")


def sample_one_holder(check, nodes, seconds, what):
    """For a while: never two holders, and every instance names the same one."""
    deadline = time.time() + seconds
    samples = 0
    while time.time() < deadline:
        seen = leases(nodes)
        held = holders(seen)
        check(len(held) <= 1, f"{what}: two holders at once: {seen}")
        if len(held) == 1:
            who = seen[held[0]]["self"]
            others = {n: s["holder"] for n, s in seen.items() if n != held[0]}
            check(all(h == who for h in others.values()),
                  f"{what}: {held[0]} holds it, the others name {others}")
        samples += 1
        time.sleep(0.1)
    check(samples > 0, f"{what}: no sample")


def metric(node, name):
    """A sample without labels from GET /metrics (None when absent)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{node.port}/metrics", timeout=30) as r:
        text = r.read().decode()
    m = re.search(rf"^{name} (\S+)$", text, re.M)
    return float(m.group(1)) if m else None


def read_log(node):
    with open(os.path.join(node.data_dir, "valetd.log"), errors="replace") as f:
        return f.read()


def expired_logged(node):
    """How many servers this instance's sweeper logged as expired."""
    return sum(int(n) for n in
               re.findall(r"holds expired: (\d+) unreserved servers", read_log(node)))


def journal_entries(node):
    status, body = call(node.port, "GET", "/v1/status")
    return body["status"]["store"]["journal_entries"]


def plans_seen(check, node, acked):
    status, body = call(node.port, "GET", "/v1/plans")
    check(status == 200, f"{node.name}: GET /v1/plans {status}")
    have = collections.Counter(p["id"] for p in body["plans"])
    check(all(have[i] == 1 for i in acked) and sum(have.values()) == len(acked),
          f"{node.name}: acknowledged {acked}, has {dict(have)}")
    return body["plans"]


def wait_expired(nodes, live, n_servers):
    """Wait until every placement is expired as live sees it."""
    deadline = time.time() + HOLD_TTL_S + WAIT_S
    while time.time() < deadline:
        _, body = call(live.port, "GET", "/v1/plans")
        locs = [pl.get("location") for p in body["plans"] for pl in p["placements"].values()]
        if len(locs) == n_servers and all(loc is None for loc in locs):
            return True
        time.sleep(0.25)
    return False


def write_config(tmp, store, uri):
    inv = os.path.join(tmp, "inventory.json")
    with open(inv, "w") as f:
        json.dump(inventory(), f)
    if store == "mongodb":
        db = f"valet_lease_{os.getpid()}"
        store_cfg = f'store: {{ mongodb: {{ uri = "{uri}"; database = "{db}"; }}; }};\n'
    else:
        store_cfg = f'store: {{ sqlite: {{ file = "{os.path.join(tmp, "shared.db")}"; }}; }};\n'
    config = os.path.join(tmp, "valet.conf")
    with open(config, "w") as f:
        f.write(f'modules: {{ store = "{store}"; }};\n'
                f'source: {{ static: {{ inventory = "{inv}"; }}; }};\n' + store_cfg +
                f'service: {{ lease_s = {LEASE_S}; hold_ttl_s = {HOLD_TTL_S}; }};\n'
                f'log: {{ level = "info"; }};\n')
    return config


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("valetd")
    ap.add_argument("mockmongod")
    ap.add_argument("--store", choices=("mongodb", "sqlite"), default="mongodb")
    ap.add_argument("--instances", type=int, default=3)
    a = ap.parse_args()
    check = Checks()
    with tempfile.TemporaryDirectory(prefix="valet-lease-") as tmp:
        mongo, uri = start_mongo(a.mockmongod, tmp) if a.store == "mongodb" else (None, None)
        nodes = []
        try:
            config = write_config(tmp, a.store, uri)
            for i in range(a.instances):
                d = os.path.join(tmp, f"node{i}")
                os.mkdir(d)
                nodes.append(Valetd(a.valetd, config, d, f"valetd-{i}"))
                nodes[-1].start()

            # 1. exactly one holds it, every instance names it
            seen = wait_for_one_holder(nodes)
            sample_one_holder(check, nodes, 2 * LEASE_S, "steady")
            seen = wait_for_one_holder(nodes)
            paused = next(n for n in nodes if seen[n.name]["held"])
            term0 = seen[paused.name]["term"]

            # 2. a holder paused (SIGSTOP: a stopped VM, a partition) past its lease is
            # replaced; resumed, it finds the other holder and does no periodic work
            paused.proc.send_signal(signal.SIGSTOP)
            try:
                seen = wait_for_one_holder([n for n in nodes if n is not paused], term0 + 1)
            finally:
                paused.proc.send_signal(signal.SIGCONT)
            first = next(n for n in nodes if n.name in holders(seen))
            term1 = seen[first.name]["term"]
            check(f"taken over (term {term1})" in read_log(first),
                  f"{first.name} did not log taking the expired lease over")
            time.sleep(LEASE_S)  # the resumed one has looked at the document since
            sample_one_holder(check, nodes, LEASE_S, "after the pause")
            resumed = lease_of(paused)
            check(not resumed["held"] and resumed["lost"] == 1 and resumed["term"] == term1,
                  f"{paused.name} resumed: {resumed}")
            print(f"{first.name} holds the lease at term {term1}")

            # 3. plans on every instance (each serves the API), then SIGKILL the holder
            acked = []
            for i in range(N_PLANS):
                s, b = call(nodes[i % len(nodes)].port, "POST", "/v1/plans", plan(f"lease-{i}"))
                check(s == 201, f"plan lease-{i} on {nodes[i % len(nodes)].name}: {s} {b}")
                if s == 201:
                    acked.append(b["plan"]["id"])
            entries_before = journal_entries(first)
            killed_at = time.time()
            first.kill()
            rest = [n for n in nodes if n is not first]

            # 4. another takes it over at a higher term, within lease_s and a margin
            seen = wait_for_one_holder(rest, term1 + 1)
            took = time.time() - killed_at
            second = next(n for n in rest if seen[n.name]["held"])
            term2 = seen[second.name]["term"]
            print(f"{second.name} took the lease over at term {term2} {took:.1f} s after the kill")
            check(term2 > term1, f"term {term2} after {term1}")
            check(took < LEASE_S + WAIT_S, f"takeover after {took:.1f} s")
            check(f"taken over (term {term2})" in read_log(second) and
                  first.name not in holders(seen), f"{second.name} logs no takeover")
            time.sleep(LEASE_S)  # every instance has looked at the document since
            sample_one_holder(check, rest, LEASE_S, "after the takeover")
            held = {n.name: metric(n, "valet_lease_held") for n in rest}
            check(sum(held.values()) == 1 and held[second.name] == 1,
                  f"valet_lease_held after the takeover: {held}")
            takes = 2 if second is paused else 1  # the paused one took it at its start
            check(metric(second, "valet_lease_term") == term2 and
                  metric(second, "valet_lease_acquired_total") == takes,
                  f"{second.name}: valet_lease_term, valet_lease_acquired_total")
            for n in rest:
                plans_seen(check, n, acked)

            # 5. every hold expires once, after the takeover, written by the holder alone
            check(time.time() - killed_at < HOLD_TTL_S,
                  f"the takeover came after the holds were due ({took:.1f} s): the test "
                  "cannot tell who expired them")
            check(wait_expired(rest, second, len(acked)),
                  f"the holds did not all expire within {HOLD_TTL_S + WAIT_S} s")
            time.sleep(2 * LEASE_S / 3)  # a few more sweeps: nothing more may be written
            entries = journal_entries(second)
            check(entries == entries_before + len(acked),
                  f"journal: {entries_before} entries before, {entries} after the expiry "
                  f"(want one expire entry for each of the {len(acked)} plans)")
            logged = {n.name: expired_logged(n) for n in nodes}
            check(logged[second.name] == len(acked) and sum(logged.values()) == len(acked),
                  f"servers logged as expired per instance: {logged} (want "
                  f"{len(acked)} on {second.name} alone)")
            for n in rest:
                plans_seen(check, n, acked)

            # 6. a clean stop releases it: the last one takes it without the lease expiring
            second.kill(signal.SIGTERM)
            third = next(n for n in rest if n is not second)
            seen = wait_for_one_holder([third], term2 + 1)
            log = read_log(third)
            check(f"acquired (term {seen[third.name]['term']})" in log,
                  f"{third.name} took the released lease as an expired one:\n{log[-2000:]}")
            check("lease of the periodic work released" in read_log(second),
                  f"{second.name} did not log its release")
        finally:
            stop_all(nodes, mongo)
    return check.report()


if __name__ == "__main__":
    sys.exit(main())
