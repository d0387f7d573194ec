#!/usr/bin/env python3
"""Several valetd on one MongoDB: they share plans and capacity and never
over-commit a host between them; a retry on another instance makes no
duplicate; an instance killed with SIGKILL and restarted loses nothing.
They snapshot the journal every few entries and compact it all along, so
that an instance may find entries it had not read compacted away and read
the state again from a snapshot (docs/api.md, "The journal").

usage: cluster_test.py VALETD MOCKMONGOD [--instances N]
Uses VALET_TEST_MONGODB_URI when set (a real server), otherwise starts the
project's MongoDB wire-protocol test server (tests/mongo/mockmongod.py) with
/usr/bin/python3, and says which one it used.
"""
import argparse
import collections
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

HOSTS = 4          # 8 vCPU each, ratio 1
SLOTS_PER_HOST = 2  # a "half" server takes 4 vCPU
CAPACITY = HOSTS * SLOTS_PER_HOST
SNAPSHOT_EVERY = 5  # small: the instances snapshot and compact all along


def inventory():
    return {"datacenter": "cluster-test",
            "allocation_ratios": {"vcpus": 1.0, "ram_mb": 1.0, "disk_gb": 1.0},
            "racks": [{"name": "r1"}, {"name": "r2"}],
            "hosts": [{"name": f"h{i}", "rack": "r1" if i < 2 else "r2", "vcpus": 8,
                       "ram_mb": 65536, "disk_gb": 1000} for i in range(HOSTS)],
            "flavors": [{"name": "half", "vcpus": 4, "ram_mb": 1024, "disk_gb": 10}]}


def plan(stack, n=1):
    return {"plan_name": stack, "stack_id": stack,
            "resources": {f"{stack}-s{i}": {"name": f"{stack}-s{i}", "type": "OS::Nova::Server",
                                            "properties": {"flavor": "half"}}
                          for i in range(n)}}


def call(port, method, path, body=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            text = r.read().decode()
            return r.status, json.loads(text) if text else None
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        return e.code, json.loads(text) if text else None


class Valetd:
    def __init__(self, binary, config, data_dir, name):
        self.binary, self.config, self.data_dir, self.name = binary, config, data_dir, name
        self.proc = None
        self.port = None

    def start(self):
        # unbuffered: a test may read the log while valetd runs
        log = open(os.path.join(self.data_dir, "valetd.log"), "ab", buffering=0)
        self.proc = subprocess.Popen([self.binary, "--config", self.config, "--listen",
                                      "127.0.0.1:0", "--data-dir", self.data_dir],
                                     stderr=subprocess.PIPE, stdout=log)
        deadline = time.time() + 30
        for raw in self.proc.stderr:
            line = raw.decode(errors="replace")
            log.write(raw)
            m = re.search(r"listening on [^:]+:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
            if time.time() > deadline:
                break
        if self.port is None:
            raise RuntimeError(f"{self.name} did not start; see {self.data_dir}/valetd.log")
        # keep draining stderr so valetd never blocks on a full pipe
        threading.Thread(target=lambda: [log.write(b) for b in self.proc.stderr],
                         daemon=True).start()

    def kill(self, sig=signal.SIGKILL):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=30)


def start_mongo(mockmongod, tmp):
    uri = os.environ.get("VALET_TEST_MONGODB_URI")
    if uri:
        print("using the MongoDB server at VALET_TEST_MONGODB_URI")
        return None, uri
    proc = subprocess.Popen(["/usr/bin/python3", mockmongod, "--port", "0"], stdout=subprocess.PIPE,
                            stderr=open(os.path.join(tmp, "mockmongod.log"), "wb"))
    line = proc.stdout.readline().decode()
    m = re.search(r"(mongodb://\S+)", line)
    if not m:
        proc.kill()
        raise RuntimeError(f"the MongoDB wire-protocol test server did not start: {line!r}")
    print("using the project's MongoDB wire-protocol test server (tests/mongo/mockmongod.py)")
    return proc, m.group(1) + "/?serverSelectionTimeoutMS=5000"


def snapshot_entry(port):
    """The journal entry of the newest snapshot an instance knows (GET /metrics)."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}/metrics")
    with urllib.request.urlopen(req, timeout=30) as r:
        m = re.search(r"^valet_snapshot_entry (\d+)$", r.read().decode(), re.M)
    return int(m.group(1)) if m else -1


def placed_per_host(port):
    status, body = call(port, "GET", "/v1/plans")
    assert status == 200, (status, body)
    per_host = collections.Counter()
    stacks = collections.Counter()
    for p in body["plans"]:
        stacks[p["stack_id"]] += 1
        for pl in p["placements"].values():
            if pl.get("location"):
                per_host[pl["location"]] += 1
    return per_host, stacks


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def __call__(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL", what)

    def report(self):
        """Say how it went; the exit status."""
        print(f"{self.passed} passed, {self.failed} failed")
        return 1 if self.failed else 0


def stop_all(nodes, mongo):
    """SIGTERM every valetd, then the test server when this test started it."""
    for n in nodes:
        n.kill(signal.SIGTERM)
    if mongo is not None:
        mongo.terminate()
        mongo.wait(timeout=30)


def race_for_capacity(check, nodes, rounds):
    """Many single-server plans at once over every instance: exactly CAPACITY fit."""
    results = []
    lock = threading.Lock()

    def post(i):
        node = nodes[i % len(nodes)]
        status, body = call(node.port, "POST", "/v1/plans", plan(f"race-{rounds}-{i}"))
        with lock:
            results.append((status, body))

    threads = [threading.Thread(target=post, args=(i,)) for i in range(3 * CAPACITY)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    created = sum(1 for s, _ in results if s == 201)
    refused = sum(1 for s, _ in results if s == 409)
    check(created == CAPACITY and refused == 2 * CAPACITY,
          f"race: {created} created, {refused} refused (want {CAPACITY} and {2 * CAPACITY}); "
          f"others: {[s for s, _ in results if s not in (201, 409)]}")
    for node in nodes:
        per_host, stacks = placed_per_host(node.port)
        check(all(n <= SLOTS_PER_HOST for n in per_host.values()) and
              sum(per_host.values()) == CAPACITY,
              f"{node.name} sees {dict(per_host)} (at most {SLOTS_PER_HOST} per host, "
              f"{CAPACITY} in all)")
        check(all(c == 1 for c in stacks.values()), f"{node.name}: a stack twice: {stacks}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("valetd")
    ap.add_argument("mockmongod")
    ap.add_argument("--instances", type=int, default=3)
    a = ap.parse_args()
    check = Checks()
    with tempfile.TemporaryDirectory(prefix="valet-cluster-") as tmp:
        mongo, uri = start_mongo(a.mockmongod, tmp)
        nodes = []
        try:
            inv = os.path.join(tmp, "inventory.json")
            with open(inv, "w") as f:
                json.dump(inventory(), f)
            db = f"valet_cluster_{os.getpid()}"
            config = os.path.join(tmp, "valet.conf")
            with open(config, "w") as f:
                f.write(f'modules: {{ store = "mongodb"; }};\n'
                        f'service: {{ snapshot_every = {SNAPSHOT_EVERY}; }};\n'
                        f'source: {{ static: {{ inventory = "{inv}"; }}; }};\n'
                        f'store: {{ mongodb: {{ uri = "{uri}"; database = "{db}"; }}; }};\n')
            for i in range(a.instances):
                d = os.path.join(tmp, f"node{i}")
                os.mkdir(d)
                nodes.append(Valetd(a.valetd, config, d, f"valetd-{i}"))
                nodes[-1].start()

            # 1. racing plans over every instance never over-commit a host
            race_for_capacity(check, nodes, 1)

            # 2. delete on one instance, the capacity is free on the others
            status, body = call(nodes[0].port, "GET", "/v1/plans")
            for p in body["plans"]:
                s, _ = call(nodes[1].port, "DELETE", f"/v1/plans/{p['id']}")
                check(s == 204, f"delete {p['id']} on valetd-1: {s}")
            per_host, _ = placed_per_host(nodes[2].port)
            check(sum(per_host.values()) == 0, f"after deletes valetd-2 sees {dict(per_host)}")

            # 3. the same stack on every instance at once: one plan
            answers = []
            threads = [threading.Thread(target=lambda n=n: answers.append(
                call(n.port, "POST", "/v1/plans", plan("retry", 2)))) for n in nodes]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            ids = {b["plan"]["id"] for s, b in answers if s == 201}
            check(len(ids) == 1 and all(s == 201 for s, _ in answers),
                  f"the same stack on {len(nodes)} instances: {[s for s, _ in answers]}, "
                  f"plan ids {ids}")

            # 4. SIGKILL one instance in a burst; restarted, it has everything acknowledged
            acked = []

            def burst(node, base):
                for i in range(200):
                    try:
                        s, b = call(node.port, "POST", "/v1/plans", plan(f"burst-{base}-{i}"))
                    except OSError:
                        return  # the instance is gone: nothing more is acknowledged
                    if s == 201:
                        acked.append(b["plan"]["id"])

            t = threading.Thread(target=burst, args=(nodes[1], "b"))
            t.start()
            deadline = time.time() + 10
            while len(acked) < 3 and time.time() < deadline:
                time.sleep(0.002)
            nodes[1].kill()
            t.join()
            print(f"SIGKILL after {len(acked)} acknowledged plans of the burst")
            check(len(acked) >= 3, "the burst had acknowledged plans before the kill")
            nodes[1].start()
            _, body = call(nodes[1].port, "GET", "/v1/plans")
            have = collections.Counter(p["id"] for p in body["plans"])
            check(all(have[i] == 1 for i in acked),
                  f"after SIGKILL: acknowledged {acked}, restarted valetd has {dict(have)}")
            for node in nodes:
                per_host, stacks = placed_per_host(node.port)
                check(all(n <= SLOTS_PER_HOST for n in per_host.values()),
                      f"{node.name} after the restart sees {dict(per_host)}")

            # 5. the journal was snapshotted along the way (by the lease's holder
            # alone), and the instance restarted after the kill started from one
            entries = [snapshot_entry(n.port) for n in nodes]
            print(f"newest snapshot each instance knows: entries {entries}")
            check(max(entries) > 0, f"no instance knows a snapshot: {entries}")
            check(entries[1] > 0, f"the restarted instance read no snapshot: {entries}")
        finally:
            stop_all(nodes, mongo)
    return check.report()


if __name__ == "__main__":
    sys.exit(main())
