#!/usr/bin/env python3
"""Run a test that reads the public data sets, if they are there.

usage: shared_data.py --default DIR PATH... -- COMMAND [ARG...]

The data folder is $VALET_SHARED_DATA when set, else DIR (CTest passes the
folder configured at build time, ../shared/data beside the source tree).
It is decided here, when the test runs, so that
`VALET_SHARED_DATA=/path ctest` works on any build tree.

When every PATH (relative to the data folder) exists, COMMAND runs with
VALET_SHARED_DATA set to the folder and its exit status is the test's.
When one is missing, the test does not run: the exit status is 77, which
CTest reports as skipped (SKIP_RETURN_CODE), or 1 when CI=true, because a
CI run that quietly skips the data tests would pass without testing them.
"""
import os
import sys

SKIP = 77
HINT = ("put the public data sets at ../shared/data beside the source tree, "
        "or set VALET_SHARED_DATA to their folder")


def parse(argv):
    if len(argv) < 4 or argv[0] != "--default" or "--" not in argv[2:]:
        sys.exit(__doc__.split("\n\n")[1])
    sep = argv.index("--", 2)
    command = argv[sep + 1:]
    if not command:
        sys.exit("shared_data.py: no command after --")
    return argv[1], argv[2:sep], command


def main(argv):
    default, paths, command = parse(argv)
    folder = os.path.abspath(os.environ.get("VALET_SHARED_DATA") or default)
    missing = [p for p in paths if not os.path.exists(os.path.join(folder, p))]
    if missing:
        where = ", ".join(os.path.join(folder, p) for p in missing)
        if os.environ.get("CI", "").lower() == "true":
            print(f"FAIL: shared data missing: {where}; CI=true, so the tests that "
                  f"need it fail instead of being skipped; {HINT}", flush=True)
            return 1
        print(f"SKIP: shared data missing: {where}; {HINT} "
              f"(under CI=true this is a failure)", flush=True)
        return SKIP
    os.environ["VALET_SHARED_DATA"] = folder
    os.execvp(command[0], command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
