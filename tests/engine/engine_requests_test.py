#!/usr/bin/env python3
"""Every upstream engine request placed with `valet simulate --json` on the test
data center, with every solver, and checked by checker.py; the `_violated` one
must be refused with its reason, `simple_ping` refused as bad input.

usage: engine_requests_test.py VALET_BINARY INVENTORY [REQUEST_DIR]

REQUEST_DIR defaults to $VALET_SHARED_DATA/valet/engine-requests (CTest runs
this through tests/helpers/shared_data.py, which sets it).
"""
import glob
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checker  # noqa: E402


def simulate(valet, inv, plan, solver):
    return subprocess.run([valet, "simulate", "--inventory", inv, "--plan", plan,
                           "--solver", solver, "--json"],
                          capture_output=True, text=True, timeout=120)


def main():
    valet, inv_path = sys.argv[1:3]
    req_dir = sys.argv[3] if len(sys.argv) > 3 else os.path.join(
        os.environ.get("VALET_SHARED_DATA", ""), "valet", "engine-requests")
    inv = json.load(open(inv_path))
    passed = failed = 0

    def verdict(ok, what):
        nonlocal passed, failed
        if ok:
            passed += 1
        else:
            failed += 1
            print("FAIL", what)

    paths = sorted(glob.glob(os.path.join(req_dir, "*.json")))
    if not paths:  # an empty run must not pass
        print(f"FAIL no requests in {req_dir}")
        return 1
    for path in paths:
        name = os.path.basename(path)
        req = json.load(open(path))
        for solver in ("ostro", "nova", "exact"):
            out = simulate(valet, inv_path, path, solver)
            what = f"{name} ({solver})"
            if req[0].get("action") != "create":
                verdict(out.returncode == 2 and "create" in out.stderr,
                        f"{what}: want exit 2 naming the action, got {out.returncode} "
                        f"{out.stderr.strip()}")
                continue
            lines = out.stdout.splitlines()
            if len(lines) != 1:
                verdict(False, f"{what}: exit {out.returncode}, output {out.stdout!r} "
                               f"{out.stderr.strip()}")
                continue
            res = json.loads(lines[0])
            if "_violated" in name:
                msg = res["status"]["message"]
                verdict(out.returncode == 1 and res["status"]["type"] == "error"
                        and res["placements"] == {} and "diversity" in msg,
                        f"{what}: want a refusal naming diversity, got {res['status']}")
                continue
            if res["status"]["type"] != "ok" or out.returncode != 0:
                verdict(False, f"{what}: not placed: {res['status']['message']}")
                continue
            errs = checker.Checker(inv).check(0, req, res)
            verdict(not errs, f"{what}: {errs}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
