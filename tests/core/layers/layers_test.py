#!/usr/bin/python3
"""The core's layers, checked two ways.

1. From the sources: every quoted include in core/<layer>/ names a header of
   the same layer or of one listed before it, and no file's quoted includes
   lead back to itself (no circle between core files).
2. From the build: for each probe "layer:kind:header", building the target
   layer_probe_<layer>_<kind> must succeed when kind is "own" and fail,
   naming the header, when kind is "above" (the header of the next layer up
   is not on the lower layer's include path).
"""
import argparse
import pathlib
import re
import subprocess
import sys
import unittest

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--core", required=True, type=pathlib.Path)
    p.add_argument("--layers", nargs="+", required=True,
                   help="the layer folders, lowest first")
    p.add_argument("--build", type=pathlib.Path,
                   help="the build tree holding the probe targets")
    p.add_argument("--probes", nargs="*", default=[],
                   help="layer:kind:header, kind own or above")
    return p.parse_args()


ARGS = None


def core_files(core, layers):
    """{path: layer index} of every .c and .h of the layer folders."""
    files = {}
    for rank, layer in enumerate(layers):
        for path in sorted((core / layer).glob("*.[ch]")):
            files[path] = rank
    return files


def includes(path):
    return INCLUDE.findall(path.read_text(encoding="utf-8"))


def resolve(header, path, by_name):
    """The core file a quoted include names: beside the includer, else by name."""
    beside = path.parent / header
    if beside.exists():
        return beside
    return by_name.get(header)


class Sources(unittest.TestCase):
    def setUp(self):
        self.files = core_files(ARGS.core, ARGS.layers)
        self.by_name = {}
        for path in self.files:
            if path.suffix == ".h":
                self.assertNotIn(path.name, self.by_name,
                                 f"two core headers are called {path.name}")
                self.by_name[path.name] = path

    def test_every_layer_has_files(self):
        for rank, layer in enumerate(ARGS.layers):
            self.assertIn(rank, self.files.values(), f"core/{layer}/ holds no file")

    def test_no_upward_include(self):
        for path, rank in self.files.items():
            for header in includes(path):
                target = resolve(header, path, self.by_name)
                if target is None:
                    continue  # a system or public header
                self.assertLessEqual(
                    self.files[target], rank,
                    f"{path.relative_to(ARGS.core)} includes {header} of "
                    f"core/{ARGS.layers[self.files[target]]}/, a layer above "
                    f"core/{ARGS.layers[rank]}/")

    def test_no_circle(self):
        graph = {path: [t for t in (resolve(h, path, self.by_name)
                                    for h in includes(path)) if t is not None]
                 for path in self.files}
        state = {}

        def visit(node, trail):
            state[node] = "open"
            for nxt in graph[node]:
                if state.get(nxt) == "open":
                    loop = trail[trail.index(nxt):] + [nxt]
                    self.fail("includes go round: " + " -> ".join(
                        str(p.relative_to(ARGS.core)) for p in loop))
                if nxt not in state:
                    visit(nxt, trail + [nxt])
            state[node] = "done"

        for path in graph:
            if path not in state:
                visit(path, [path])

    def test_the_checker_sees_an_upward_include(self):
        """The check above can fail: an include of a higher layer is caught."""
        ranks = {layer: i for i, layer in enumerate(ARGS.layers)}
        low = next(p for p, r in self.files.items() if r == ranks["base"])
        high = next(p for p, r in self.files.items()
                    if r > ranks["base"] and p.suffix == ".h")
        target = resolve(high.name, low, self.by_name)
        self.assertGreater(self.files[target], self.files[low])


class Build(unittest.TestCase):
    def build(self, target):
        return subprocess.run(
            ["cmake", "--build", str(ARGS.build), "--target", target],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            check=False)

    def test_probes(self):
        if not ARGS.probes:
            self.skipTest("no probes given")
        kinds = set()
        for probe in ARGS.probes:
            layer, kind, header = probe.split(":")
            kinds.add(kind)
            with self.subTest(probe=probe):
                run = self.build(f"layer_probe_{layer}_{kind}")
                if kind == "own":
                    self.assertEqual(run.returncode, 0, run.stdout[-2000:])
                else:
                    self.assertNotEqual(
                        run.returncode, 0,
                        f"core/{layer}/ could include {header} of the layer above")
                    self.assertIn(header, run.stdout, run.stdout[-2000:])
        self.assertEqual(kinds, {"own", "above"})


if __name__ == "__main__":
    ARGS = parse_args()
    unittest.main(argv=[sys.argv[0], "-v"])
