#!/usr/bin/python3
"""GET /metrics and GET /healthcheck of a real valetd, after known traffic.

/metrics is parsed with prometheus_client's own text parser (Debian's
python3-prometheus-client) and its values are checked against what the
test did: plans created and deleted, a plan refused (its reason counted),
capacity held per rack, requests per route. /healthcheck answers as
oslo.middleware's healthcheck does, and turns 503 when the data center
grows stale past service.max_stale_s, when the SQLite file is taken away,
and when the MongoDB server stops.

usage: metrics_test.py VALETD MOCKMONGOD
Run it with /usr/bin/python3 (Debian's modules).
"""
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.error
import urllib.request

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:  # the package is in scripts/install-deps
    print("SKIP: python3-prometheus-client is not installed")
    sys.exit(77)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "cluster"))
from cluster_test import (  # noqa: E402
    CAPACITY, HOSTS, Valetd, inventory, plan)

VALETD = MOCKMONGOD = None
HOST_VCPUS = 8  # cluster_test's hosts; its flavor "half" takes 4
HALF_VCPUS = 4


def request(port, method, path, body=None, headers=None):
    """(status, headers, text) of one request."""
    data = json.dumps(body).encode() if body is not None else None
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                 data=data, method=method, headers=h)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def scrape(port):
    """Every sample as {(name, labels): value}, and the families by name."""
    status, headers, text = request(port, "GET", "/metrics")
    assert status == 200, (status, text)
    assert headers["Content-Type"].startswith(
        "text/plain; version=0.0.4"), headers
    samples, families = {}, {}
    for fam in text_string_to_metric_families(text):
        families[fam.name] = fam
        for s in fam.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples, families


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def start_valetd(tmp, config_text):
    config = os.path.join(tmp, "valet.conf")
    with open(config, "w") as f:
        f.write(config_text)
    data = os.path.join(tmp, "data")
    os.mkdir(data)
    v = Valetd(VALETD, config, data, "valetd")
    v.start()
    return v


def health_when_unhealthy(port, timeout=20.0):
    """(status, body) of GET /healthcheck once it is not 200, or None."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        status, _, text = request(port, "GET", "/healthcheck")
        if status != 200:
            return status, text
        time.sleep(0.2)
    return None


class SqliteValetd(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="valet-metrics-")
        self.inv = os.path.join(self.tmp, "inventory.json")
        with open(self.inv, "w") as f:
            json.dump(inventory(), f)
        self.valetd = start_valetd(
            self.tmp,
            f'source: {{ static: {{ inventory = "{self.inv}"; }}; }};\n'
            'service: { refresh_s = 1; max_stale_s = 1; };\n')
        self.port = self.valetd.port

    def tearDown(self):
        self.valetd.kill(signal.SIGTERM)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_counters_follow_traffic(self):
        before, families = scrape(self.port)
        self.assertEqual(value(before, "valet_plans_created_total"), 0)
        for name in ("valet_http_requests",
                     "valet_http_request_duration_seconds", "valet_plans",
                     "valet_placements", "valet_capacity",
                     "valet_capacity_free", "valet_capacity_used",
                     "valet_store_operation_duration_seconds",
                     "valet_store_errors", "valet_journal_entries",
                     "valet_sources_age_seconds", "valet_solver_placements",
                     "valet_refusals"):
            self.assertIn(name, families, f"family {name} missing")

        n = 3
        for i in range(n):
            status, _, text = request(self.port, "POST", "/v1/plans",
                                      plan(f"ok-{i}"))
            self.assertEqual(status, 201, text)
        # one server more than the capacity left
        status, _, text = request(self.port, "POST", "/v1/plans",
                                  plan("too-big", CAPACITY - n + 1))
        self.assertEqual(status, 409, text)
        self.assertIn("short of vcpus", text)

        after, _ = scrape(self.port)
        self.assertEqual(value(after, "valet_plans_created_total"), n)
        self.assertEqual(value(after, "valet_plans"), n)
        self.assertEqual(value(after, "valet_placements", kind="server",
                               state="held"), n)
        self.assertEqual(value(after, "valet_journal_entries"), n)
        requests = "valet_http_requests_total"
        self.assertEqual(value(after, requests, method="POST",
                               route="/v1/plans", code="201"), n)
        self.assertEqual(value(after, requests, method="POST",
                               route="/v1/plans", code="409"), 1)
        latency = "valet_http_request_duration_seconds"
        self.assertEqual(value(after, latency + "_count", method="POST",
                               route="/v1/plans"), n + 1)
        self.assertEqual(value(after, latency + "_bucket", method="POST",
                               route="/v1/plans", le="+Inf"), n + 1)
        self.assertEqual(value(after, "valet_solver_placements_total",
                               solver="ostro", outcome="placed"), n)
        self.assertEqual(value(after, "valet_solver_placements_total",
                               solver="ostro", outcome="refused"), 1)
        self.assertEqual(value(after, "valet_solver_duration_seconds_count",
                               solver="ostro"), n + 1)
        self.assertEqual(value(after, "valet_refusals_total",
                               reason="short of vcpus"), 1)
        self.assertEqual(value(after, "valet_refused_hosts_total",
                               reason="short of vcpus"), HOSTS)

        def rack_sum(metric):
            return sum(value(after, metric, level="rack", domain=r,
                             resource="vcpus") for r in ("r1", "r2"))
        self.assertEqual(rack_sum("valet_capacity_used"), n * HALF_VCPUS)
        self.assertEqual(rack_sum("valet_capacity_free"),
                         HOSTS * HOST_VCPUS - n * HALF_VCPUS)
        self.assertEqual(value(after, "valet_capacity", level="cluster",
                               domain=self.cluster_name(after),
                               resource="vcpus"), HOSTS * HOST_VCPUS)
        store = "valet_store_operation_duration_seconds_count"
        self.assertGreaterEqual(value(after, store, operation="put"), n)
        self.assertEqual(value(after, "valet_store_errors_total",
                               operation="put"), 0)

        # a delete moves its counter and gives the capacity back
        status, _, text = request(self.port, "DELETE", "/v1/plans/ok-0")
        self.assertEqual(status, 204, text)
        last, _ = scrape(self.port)
        self.assertEqual(value(last, "valet_plans_deleted_total"), 1)
        self.assertEqual(value(last, "valet_plans"), n - 1)
        self.assertEqual(value(last, requests, method="GET",
                               route="/metrics", code="200"), 2)

    def test_refusal_reasons_leave_names_out(self):
        # five servers apart on four hosts: every host is ruled out by
        # the group "spread", which the reason's label does not name
        req = plan("apart", HOSTS + 1)
        req["resources"]["spread"] = {
            "type": "ATT::Valet::GroupAssignment",
            "properties": {"group_type": "diversity", "level": "host",
                           "resources": [k for k in req["resources"]]}}
        status, _, text = request(self.port, "POST", "/v1/plans", req)
        self.assertEqual(status, 409, text)
        self.assertIn("diversity(host) spread", text)
        self.assert_counted_once("diversity(host)", "spread")

    def test_timed_refusal_counts_as_its_reason(self):
        # the whole capacity reserved for a day, then a server over a
        # window overlapping its start: refused "short of vcpus (on the
        # host ..., h: short from ...; free before)", counted as
        # "short of vcpus", the times and host no label
        day = plan("day", CAPACITY)
        day.update(start="2090-01-01T00:00:00Z", end="2090-01-02T00:00:00Z")
        status, _, text = request(self.port, "POST", "/v1/plans", day)
        self.assertEqual(status, 201, text)
        over = plan("over", 1)
        over.update(start="2089-12-31T23:00:00Z", end="2090-01-01T01:00:00Z")
        status, _, text = request(self.port, "POST", "/v1/plans", over)
        self.assertEqual(status, 409, text)
        self.assertIn("short from 2090-01-01T00:00:00Z to "
                      "2090-01-01T01:00:00Z; free before)", text)
        self.assert_counted_once("short of vcpus", "short from")

    def assert_counted_once(self, reason, unnamed):
        """One refusal for reason, every host ruled out by it, and no
        label holding unnamed."""
        samples, _ = scrape(self.port)
        self.assertEqual(value(samples, "valet_refusals_total",
                               reason=reason), 1)
        self.assertEqual(value(samples, "valet_refused_hosts_total",
                               reason=reason), HOSTS)
        self.assertFalse([labels for (name, labels) in samples
                          if unnamed in str(labels)])

    @staticmethod
    def cluster_name(samples):
        names = {dict(labels)["domain"] for (name, labels) in samples
                 if name == "valet_capacity" and
                 dict(labels).get("level") == "cluster"}
        assert len(names) == 1, names
        return names.pop()

    def test_healthcheck_as_oslo_middleware(self):
        status, headers, text = request(self.port, "GET", "/healthcheck")
        self.assertEqual((status, text), (200, "OK"))
        self.assertTrue(headers["Content-Type"].startswith("text/plain"))
        status, _, text = request(self.port, "HEAD", "/healthcheck")
        self.assertEqual((status, text), (204, ""))
        status, headers, text = request(
            self.port, "GET", "/healthcheck",
            headers={"Accept": "application/json"})
        self.assertEqual(status, 200)
        self.assertEqual(json.loads(text),
                         {"detailed": False, "reasons": ["OK"]})
        status, _, text = request(self.port, "GET", "/v1/status")
        self.assertEqual(json.loads(text)["status"]["health"],
                         {"healthy": True, "reasons": []})

    def test_healthcheck_stale_data_center(self):
        # every reading of the sources fails from now on
        os.rename(self.inv, self.inv + ".away")
        result = health_when_unhealthy(self.port)
        self.assertIsNotNone(result, "stayed healthy with stale sources")
        self.assertEqual(result[0], 503, result)
        self.assertIn("max_stale_s", result[1])
        status, _, _ = request(self.port, "HEAD", "/healthcheck")
        self.assertEqual(status, 503)
        status, _, doc = request(
            self.port, "GET", "/healthcheck",
            headers={"Accept": "application/json"})
        self.assertEqual(status, 503)
        self.assertIn("max_stale_s", json.loads(doc)["reasons"][0])
        status, _, doc = request(self.port, "GET", "/v1/status")
        health = json.loads(doc)["status"]["health"]
        self.assertFalse(health["healthy"])
        self.assertIn("max_stale_s", health["reasons"][0])
        samples, _ = scrape(self.port)
        self.assertEqual(value(samples, "valet_sources_up"), 0)
        self.assertGreaterEqual(
            value(samples, "valet_sources_refresh_errors_total"), 1)
        self.assertGreater(value(samples, "valet_sources_age_seconds"), 1)

        # readable again: healthy again
        os.rename(self.inv + ".away", self.inv)
        deadline = time.time() + 20
        while (request(self.port, "GET", "/healthcheck")[0] != 200 and
               time.time() < deadline):
            time.sleep(0.2)
        self.assertEqual(request(self.port, "GET", "/healthcheck")[0], 200)
        samples, _ = scrape(self.port)
        self.assertEqual(value(samples, "valet_sources_up"), 1)
        self.assertGreaterEqual(
            value(samples, "valet_sources_refreshes_total"), 1)

    def test_healthcheck_store_taken_away(self):
        status, _, text = request(self.port, "GET", "/healthcheck")
        self.assertEqual(status, 200, text)
        shutil.rmtree(os.path.join(self.tmp, "data"))
        result = health_when_unhealthy(self.port)
        self.assertIsNotNone(result, "stayed healthy without the store")
        self.assertEqual(result[0], 503, result)
        self.assertIn("the store does not answer", result[1])
        self.assertIn("removed", result[1])
        samples, _ = scrape(self.port)
        self.assertGreaterEqual(value(samples, "valet_store_errors_total",
                                      operation="ping"), 1)


class ShuttingDown(unittest.TestCase):
    def test_healthcheck_during_the_shutdown_grace(self):
        tmp = tempfile.mkdtemp(prefix="valet-metrics-stop-")
        inv = os.path.join(tmp, "inventory.json")
        with open(inv, "w") as f:
            json.dump(inventory(), f)
        valetd = start_valetd(
            tmp, f'source: {{ static: {{ inventory = "{inv}"; }}; }};\n'
                 'server: { shutdown_grace_s = 30; };\n')
        try:
            self.assertEqual(
                request(valetd.port, "GET", "/healthcheck")[0], 200)
            valetd.proc.send_signal(signal.SIGTERM)
            result = health_when_unhealthy(valetd.port)
            self.assertEqual(result, (503, "valetd is shutting down"))
            # still serving meanwhile
            status, _, text = request(valetd.port, "POST", "/v1/plans",
                                      plan("late"))
            self.assertEqual(status, 201, text)
            self.assertIsNone(valetd.proc.poll())
            # a second signal stops it well before the 30 s of grace
            valetd.proc.send_signal(signal.SIGTERM)
            self.assertEqual(valetd.proc.wait(timeout=20), 0)
        finally:
            valetd.kill(signal.SIGKILL)
            shutil.rmtree(tmp, ignore_errors=True)


class MongoValetd(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="valet-metrics-mongo-")
        self.mongo_log = open(os.path.join(self.tmp, "mockmongod.log"), "wb")
        self.mongo = subprocess.Popen(
            ["/usr/bin/python3", MOCKMONGOD, "--port", "0"],
            stdout=subprocess.PIPE, stderr=self.mongo_log)
        self.valetd = None

    def tearDown(self):
        if self.valetd is not None:
            self.valetd.kill(signal.SIGTERM)
        if self.mongo.poll() is None:
            self.mongo.kill()
            self.mongo.wait()
        self.mongo.stdout.close()
        self.mongo_log.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_healthcheck_when_mongodb_stops(self):
        line = self.mongo.stdout.readline().decode()
        m = re.search(r"(mongodb://\S+)", line)
        self.assertIsNotNone(m, f"the MongoDB test server said {line!r}")
        uri = (m.group(1) +
               "/?serverSelectionTimeoutMS=1000&connectTimeoutMS=1000")
        inv = os.path.join(self.tmp, "inventory.json")
        with open(inv, "w") as f:
            json.dump(inventory(), f)
        self.valetd = start_valetd(
            self.tmp,
            'modules: { store = "mongodb"; };\n'
            f'source: {{ static: {{ inventory = "{inv}"; }}; }};\n'
            f'store: {{ mongodb: {{ uri = "{uri}"; '
            f'database = "valet_metrics_{os.getpid()}"; }}; }};\n')
        port = self.valetd.port
        status, _, text = request(port, "GET", "/healthcheck")
        self.assertEqual((status, text), (200, "OK"))
        self.mongo.terminate()
        self.mongo.wait(timeout=30)
        result = health_when_unhealthy(port)
        self.assertIsNotNone(result, "stayed healthy without MongoDB")
        self.assertEqual(result[0], 503, result)
        self.assertIn("the store does not answer", result[1])
        self.assertEqual(request(port, "HEAD", "/healthcheck")[0], 503)


if __name__ == "__main__":
    VALETD, MOCKMONGOD = sys.argv[1], sys.argv[2]
    unittest.main(argv=sys.argv[:1], verbosity=2)
