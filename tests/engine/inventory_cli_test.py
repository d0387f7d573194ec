#!/usr/bin/python3
"""`valet inventory` on the static source: what it prints is the file's
data center with the core's arithmetic (usable = total x ratio x (1 -
standby) - used), as a table and as JSON, with each host's Placement
limits, traits and uuid and its further resource classes; a broken input
exits 2."""
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

VALET = None
SAMPLE = None
LIMITS = None  # an inventory whose hosts have limits, traits and uuids


def run(*args):
    return subprocess.run([VALET, "inventory", *args], capture_output=True,
                          text=True, check=False)


class Inventory(unittest.TestCase):
    def test_json_is_the_file_with_the_cores_arithmetic(self):
        doc = json.loads(Path(SAMPLE).read_text(encoding="utf-8"))
        out = run("--inventory", SAMPLE, "--json")
        self.assertEqual(out.returncode, 0, out.stderr)
        got = json.loads(out.stdout)
        self.assertEqual(got["datacenter"], doc["datacenter"])
        self.assertEqual([h["name"] for h in got["hosts"]],
                         [h["name"] for h in doc["hosts"]])
        ratio = doc["allocation_ratios"]["vcpus"]
        standby = doc["standby_percent"]["vcpus"]
        for want, host in zip(doc["hosts"], got["hosts"]):
            vcpus = host["resources"]["vcpus"]
            used = want.get("used", {}).get("vcpus", 0)
            self.assertEqual(vcpus["total"], want["vcpus"])
            self.assertEqual(vcpus["used"], used)
            self.assertEqual(vcpus["free"],
                             int(want["vcpus"] * ratio * (1 - standby / 100)) - used)
            self.assertEqual(host["rack"], want["rack"])
        self.assertEqual(len(got["pools"]), len(doc["storage"]))
        self.assertEqual(sorted(f["name"] for f in got["flavors"]),
                         sorted(f["name"] for f in doc["flavors"]))

    def test_table_names_every_host(self):
        doc = json.loads(Path(SAMPLE).read_text(encoding="utf-8"))
        out = run("--inventory", SAMPLE)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn(f"{len(doc['hosts'])} hosts", out.stdout.splitlines()[0])
        for host in doc["hosts"]:
            self.assertIn(host["name"], out.stdout)

    def test_limits_traits_and_uuid_are_the_files(self):
        doc = json.loads(Path(LIMITS).read_text(encoding="utf-8"))
        out = run("--inventory", LIMITS, "--json")
        self.assertEqual(out.returncode, 0, out.stderr)
        got = {h["name"]: h for h in json.loads(out.stdout)["hosts"]}
        for want in doc["hosts"]:
            host = got[want["name"]]
            self.assertEqual(host["uuid"], want.get("uuid"))
            self.assertEqual(host["traits"], sorted(want.get("traits", [])))
            for res, figures in host["resources"].items():
                limits = {k: v for k, v in figures.items()
                          if k in ("min_unit", "max_unit", "step_size")}
                self.assertEqual(limits, want.get("limits", {}).get(res, {}))
        table = run("--inventory", LIMITS)
        self.assertEqual(table.returncode, 0, table.stderr)
        self.assertIn("  uuid 0c1e5a7e-0000-4000-8000-000000000002; vcpus max_unit 4 "
                      "step_size 2; traits CUSTOM_GPU HW_CPU_X86_AVX2\n", table.stdout)

    def test_resource_classes_are_shown_with_their_capacity(self):
        classes = str(Path(LIMITS).with_name("rclass-dc.json"))
        out = run("--inventory", classes, "--json")
        self.assertEqual(out.returncode, 0, out.stderr)
        got = {h["name"]: h["classes"] for h in json.loads(out.stdout)["hosts"]}
        # floor((total - reserved) x ratio) - used
        self.assertEqual(got, {"f1": {"CUSTOM_FPGA": {"free": 1}},
                               "f2": {"CUSTOM_FPGA": {"free": 3, "max_unit": 2},
                                      "PCPU": {"free": 8}},
                               "p1": {"PCPU": {"free": 12}}})
        table = run("--inventory", classes)
        self.assertEqual(table.returncode, 0, table.stderr)
        self.assertIn("  CUSTOM_FPGA free 3 max_unit 2; PCPU free 8\n", table.stdout)

    def test_broken_inventory_exits_2_naming_the_file(self):
        with tempfile.NamedTemporaryFile("w", suffix=".json") as bad:
            bad.write("{ not json")
            bad.flush()
            out = run("--inventory", bad.name)
        self.assertEqual(out.returncode, 2)
        self.assertIn(bad.name, out.stderr)
        self.assertEqual(out.stdout, "")

    def test_unknown_argument_exits_2(self):
        out = run("--inventory", SAMPLE, "extra")
        self.assertEqual(out.returncode, 2)
        self.assertIn("extra", out.stderr)


if __name__ == "__main__":
    VALET, SAMPLE, LIMITS = sys.argv[1], sys.argv[2], sys.argv[3]
    unittest.main(argv=[sys.argv[0], "-v"])
