#!/usr/bin/env python3
"""`valet simulate --template` from the command line: where nested templates are
found (beside the template, --files DIR), the environment, --param and its
conversion, --stack-id and its default, --plan before the template, and the
exit status and message of each kind of bad input.

usage: hot_cli_test.py VALET_BINARY INVENTORY HOT_DATA_DIR
"""
import json
import os
import subprocess
import sys
import unittest

VALET, INVENTORY, DATA = sys.argv[1:4] if len(sys.argv) >= 4 else (None, None, None)


def simulate(*args):
    return subprocess.run([VALET, "simulate", "--inventory", INVENTORY, *args],
                          capture_output=True, text=True, timeout=120)


def shop(*extra):
    return simulate("--template", os.path.join(DATA, "shop.yaml"),
                    "--environment", os.path.join(DATA, "env.yaml"),
                    "--files", os.path.join(DATA, "lib"), *extra)


class TemplateCli(unittest.TestCase):
    def placed(self, out):
        self.assertEqual(out.returncode, 0, out.stderr)
        return [json.loads(line) for line in out.stdout.splitlines()]

    def test_one_plan_keyed_by_path(self):
        res, = self.placed(shop("--param", "web_count=3", "--stack-id", "S", "--json"))
        self.assertEqual(res["stack_id"], "S")
        where = {k: p["location"] for k, p in res["placements"].items()}
        self.assertEqual(sorted(where), ["S/db/server", "S/web/0/vm", "S/web/1/vm",
                                         "S/web/2/vm"])
        webs = [where[f"S/web/{i}/vm"] for i in range(3)]
        self.assertEqual(len(set(webs)), 3, "diversity over the group's refs")
        self.assertEqual(res["placements"]["S/web/2/vm"]["name"], "vm")

    def test_stack_id_defaults_to_the_file_name(self):
        res, = self.placed(shop("--json"))
        self.assertIn("shop/web/1/vm", res["placements"])
        self.assertNotIn("shop/web/2/vm", res["placements"])

    def test_plans_first_then_the_template(self):
        plan = os.path.join(DATA, "..", "..", "..", "conf", "sample-stack.json")
        out = shop("--plan", plan, "--json")
        first, second = self.placed(out)
        self.assertNotEqual(first["stack_id"], second["stack_id"])
        self.assertEqual(second["stack_id"], "shop")

    def test_human_output_shows_the_paths(self):
        out = shop()
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("shop/web/0/vm", out.stdout)

    def test_not_placed_is_exit_1(self):
        out = shop("--param", "web_count=65", "--json")
        self.assertEqual(out.returncode, 1, out.stderr)
        res, = [json.loads(line) for line in out.stdout.splitlines()]
        self.assertIn("diversity", res["status"]["message"])

    def bad(self, out, *needles):
        self.assertEqual(out.returncode, 2, out.stdout)
        for n in needles:
            self.assertIn(n, out.stderr)
        self.assertEqual(out.stdout, "")

    def test_bad_input_is_exit_2_naming_it(self):
        self.bad(shop("--param", "web_count=many"),
                 "shop.yaml: parameters: parameter 'web_count' (number) is not a number")
        self.bad(shop("--param", "colour=red"), "unknown parameter 'colour'")
        self.bad(shop("--param", "novalue"), "--param 'novalue': expected NAME=VALUE")
        self.bad(simulate("--template", os.path.join(DATA, "shop.yaml"),
                          "--environment", os.path.join(DATA, "env.yaml")),
                 "shop.yaml: db: nested template 'db.yaml' not found")
        self.bad(simulate("--template", os.path.join(DATA, "shop.yaml"),
                          "--files", os.path.join(DATA, "lib")),
                 "parameter 'db_flavor' has no value")
        self.bad(simulate("--template", os.path.join(DATA, "missing.yaml")),
                 "missing.yaml: cannot read")
        self.bad(simulate("--plan", os.path.join(DATA, "shop.yaml"), "--stack-id", "x"),
                 "go with --template")


if __name__ == "__main__":
    unittest.main(argv=sys.argv[:1])
