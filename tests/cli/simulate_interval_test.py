#!/usr/bin/env python3
"""`valet simulate` with intervals (issue 12): plans carrying start and end,
--start/--end for the last request, and --displace: the earlier plans that
share its hosts while it holds them, or, when it does not fit, those that
would have to move for it to fit (and those with no room left). Bad times
are refused with exit status 2 and a message naming the option or the file
and the JSON path.

Two hosts of 8 vCPUs, no overcommit: `half` takes 4 vCPUs, `full` 8.

usage: simulate_interval_test.py VALET_BINARY
"""
import json
import os
import subprocess
import sys
import tempfile
import unittest

VALET = sys.argv[1] if len(sys.argv) >= 2 else None
DAY = "2027-01-%02dT00:00:00Z"
INVENTORY = {
    "datacenter": "intervals",
    "allocation_ratios": {"vcpus": 1, "ram_mb": 1, "disk_gb": 1},
    "hosts": [{"name": h, "vcpus": 8, "ram_mb": 16384, "disk_gb": 200} for h in ("h1", "h2")],
    "flavors": [{"name": "half", "vcpus": 4, "ram_mb": 4096, "disk_gb": 10},
                {"name": "full", "vcpus": 8, "ram_mb": 8192, "disk_gb": 20}],
}


def request(name, flavor, start=None, end=None, servers=1):
    req = {"stack_id": name, "plan_name": name, "resources": {
        f"{name}-{i}": {"type": "OS::Nova::Server", "properties": {"flavor": flavor}}
        for i in range(servers)}}
    if start:
        req["start"] = start
    if end:
        req["end"] = end
    return req


class SimulateIntervals(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory(prefix="valet-sim-iv-")
        cls.inventory = cls.write("inventory.json", INVENTORY)
        # r1 holds half a host from the 10th to the 12th; `always` a whole host
        # for good, so it cannot share r1's host; `early` a whole host until
        # the 10th, which it can, since it ends before r1 starts.
        cls.background = [
            cls.write("r1.json", request("r1", "half", DAY % 10, DAY % 12)),
            cls.write("always.json", request("always", "full")),
            cls.write("early.json", request("early", "full", end=DAY % 10)),
        ]

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    @classmethod
    def write(cls, name, doc):
        path = os.path.join(cls.dir.name, name)
        with open(path, "w") as f:
            json.dump(doc, f)
        return path

    def simulate(self, *args, plans=None):
        cmd = [VALET, "simulate", "--inventory", self.inventory]
        for p in self.background if plans is None else plans:
            cmd += ["--plan", p]
        return subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=60)

    def results(self, out, status):
        self.assertEqual(out.returncode, status, out.stderr)
        return [json.loads(line) for line in out.stdout.splitlines()]

    @staticmethod
    def host(res):
        hosts = {p["location"] for p in res["placements"].values()}
        return hosts.pop() if len(hosts) == 1 else sorted(hosts)

    def test_a_plan_ending_before_a_reservation_uses_its_capacity(self):
        r1, always, early = self.results(self.simulate("--json"), 0)
        self.assertNotEqual(self.host(always), self.host(r1),
                            "an open-ended plan cannot use capacity r1 holds later")
        self.assertEqual(self.host(early), self.host(r1),
                         "a plan that ends when r1 starts takes r1's host before it")

    def test_the_same_plan_without_an_end_does_not_fit(self):
        late = self.write("late.json", request("late", "full"))
        *_, res = self.results(self.simulate("--json", "--plan", late), 1)
        self.assertEqual(res["status"]["type"], "error")

    def test_start_and_end_options_and_the_hosts_shared(self):
        asked = self.write("asked.json", request("asked", "half"))
        out = self.simulate("--plan", asked, "--start", DAY % 11, "--end", DAY % 13,
                            "--displace", "--json")
        r1, _, _, res = self.results(out, 0)
        self.assertEqual(self.host(res), self.host(r1), "half of r1's host is free")
        shared = res["displacement"]["shared"]
        self.assertEqual([s["plan"] for s in shared], ["r1"],
                         "early ended on the 10th: it shares no time with the 11th to 13th")
        self.assertEqual(shared[0]["hosts"], [self.host(r1)])
        self.assertEqual((shared[0]["start"], shared[0]["end"]), (DAY % 10, DAY % 12))

    def test_end_is_exclusive(self):
        asked = self.write("after.json", request("after", "full", DAY % 12, DAY % 13))
        r1, always, early, res = self.results(
            self.simulate("--plan", asked, "--displace", "--json"), 0)
        self.assertEqual(self.host(res), self.host(r1), "r1's host is free from the 12th")
        self.assertEqual(res["displacement"]["shared"], [])

    def test_what_would_have_to_move(self):
        asked = self.write("whole.json", request("whole", "full"))
        out = self.simulate("--plan", asked, "--start", DAY % 11, "--end", DAY % 13,
                            "--displace", "--json")
        *_, res = self.results(out, 1)
        self.assertEqual(res["status"]["type"], "error", "as it is, it does not fit")
        d = res["displacement"]
        self.assertTrue(d["fits_if_moved"])
        moved = [m["plan"] for m in d["must_move"] + d["no_room"]]
        self.assertEqual(len(moved), 1, d)
        self.assertIn(moved[0], ("r1", "always"), "early does not overlap the 11th to 13th")
        where = set(d["placements"].values())
        self.assertEqual(len(where), 1)
        for m in d["must_move"] + d["no_room"]:
            self.assertEqual(m["from"], sorted(where), "what moves is what was in its way")

    def test_a_plan_that_moves_elsewhere(self):
        # a (half, for good) and b (half, 10th to 12th) share one host, c
        # (half, for good) the other; a whole host over the 11th to 13th
        # fits only once the plans on one of them move
        plans = [self.write("a.json", request("a", "half")),
                 self.write("b.json", request("b", "half", DAY % 10, DAY % 12)),
                 self.write("c.json", request("c", "half"))]
        asked = self.write("whole3.json", request("whole3", "full"))
        out = self.simulate("--plan", asked, "--start", DAY % 11, "--end", DAY % 13,
                            "--displace", "--json", plans=plans)
        a, b, c, res = self.results(out, 1)
        self.assertEqual(self.host(a), self.host(b))
        self.assertNotEqual(self.host(a), self.host(c))
        d = res["displacement"]
        self.assertTrue(d["fits_if_moved"])
        taken = set(d["placements"].values())
        moved = {m["plan"]: m for m in d["must_move"]}
        lost = [m["plan"] for m in d["no_room"]]
        if taken == {self.host(a)}:
            # a fits beside c for good; b cannot be beside them on the 10th to 12th
            self.assertEqual(list(moved), ["a"], d)
            self.assertEqual(moved["a"]["from"], [self.host(a)])
            self.assertEqual(moved["a"]["to"], [self.host(c)])
            self.assertEqual(lost, ["b"], d)
        else:
            # c has nowhere to go: a's host has b's half on the 10th to 12th
            self.assertEqual(taken, {self.host(c)})
            self.assertEqual((list(moved), lost), ([], ["c"]), d)

    def test_what_does_not_fit_even_if_everything_moved(self):
        asked = self.write("three.json", request("three", "full", servers=3))
        out = self.simulate("--plan", asked, "--start", DAY % 11, "--end", DAY % 13,
                            "--displace", "--json")
        *_, res = self.results(out, 1)
        d = res["displacement"]
        self.assertFalse(d["fits_if_moved"])
        self.assertIn("host", d["message"])
        self.assertEqual(d["must_move"] + d["no_room"], [])

    def test_human_output(self):
        asked = self.write("whole2.json", request("whole2", "full"))
        out = self.simulate("--plan", asked, "--start", DAY % 11, "--end", DAY % 13,
                            "--displace")
        self.assertEqual(out.returncode, 1, out.stderr)
        self.assertIn(f"plan r1 (stack r1) over {DAY % 10} to {DAY % 12}: placed", out.stdout)
        self.assertIn(f"plan whole2 (stack whole2) over {DAY % 11} to {DAY % 13}: not placed",
                      out.stdout)
        self.assertIn("it fits if these plans move:", out.stdout)
        self.assertIn("it would go to:", out.stdout)

    def test_bad_times(self):
        cases = [
            (["--start", "tomorrow"], "--start/--end: $.start: expected an RFC 3339"),
            (["--start", DAY % 12, "--end", DAY % 11], "--start/--end: $.end: not after"),
        ]
        asked = self.write("plain.json", request("plain", "half"))
        for args, msg in cases:
            out = self.simulate("--plan", asked, *args)
            self.assertEqual(out.returncode, 2, out.stdout)
            self.assertIn(msg, out.stderr)
            self.assertEqual(out.stdout, "", "nothing placed before the options are checked")
        own = self.write("own.json", request("own", "half", DAY % 11, DAY % 12))
        out = self.simulate("--plan", own, "--start", DAY % 11)
        self.assertEqual(out.returncode, 2)
        self.assertIn("own.json: --start/--end give the last request its interval, and this "
                      "one has its own start or end", out.stderr)
        bad = self.write("bad.json", request("bad", "half", "2027-13-01T00:00:00Z"))
        out = self.simulate(plans=[bad])
        self.assertEqual(out.returncode, 2)
        self.assertIn("bad.json: $.start: expected an RFC 3339", out.stderr)


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1], verbosity=2)
