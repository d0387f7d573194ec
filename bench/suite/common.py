"""What every scenario of the benchmark suite shares: where things are, the
replay of generated requests through `bench_engine replay`, summary rows,
tables and plots.

Data is read in place from ../shared/data (or VALET_SHARED_DATA) and unpacked
into a temporary folder, never into the repository.
"""
import json
import os
import platform
import re
import shutil
import subprocess
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class BenchError(Exception):
    """A scenario cannot run: missing data, tool or binary, or a failed job."""


class Context:
    """One run of the suite: options, folders and the binaries it uses."""

    def __init__(self, quick, out_dir, build_dir, shared_data, only=None, log=print):
        self.quick = quick
        self.out_dir = out_dir
        self.build_dir = build_dir
        self.shared = shared_data
        self.only = only
        self.log = log
        self.tmp = tempfile.mkdtemp(prefix="valet-bench-")
        self.bench_engine = os.path.join(build_dir, "bench", "bench_engine")
        self.valetd = os.path.join(build_dir, "core", "valetd")
        self.checker_dir = os.path.join(REPO, "tests", "engine")

    def data(self, *parts):
        path = os.path.join(self.shared, *parts)
        if not os.path.exists(path):
            raise BenchError(f"data not found: {path} (see ../shared/data/README.md)")
        return path

    def scratch(self, *parts):
        """A path under this run's temporary folder; its parent is created."""
        path = os.path.join(self.tmp, *parts)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        return path

    def cleanup(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def replay(self, jobs, tag):
        """Run jobs (dicts, see bench/replay.c) in one bench_engine process.

        Returns one figures dict per job, in order. A job the engine could not
        run at all (no session, unreadable events) raises BenchError.
        """
        jobs_path = self.scratch("jobs", f"{tag}.jsonl")
        out_path = self.scratch("jobs", f"{tag}.out.jsonl")
        with open(jobs_path, "w") as f:
            for job in jobs:
                f.write(json.dumps(job, separators=(",", ":")) + "\n")
        proc = subprocess.run([self.bench_engine, "replay", "--jobs", jobs_path, "--out",
                               out_path], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
        with open(out_path) as f:
            figures = [json.loads(line) for line in f if line.strip()]
        failed = [fig.get("name") for fig in figures if "failed" in fig]
        if proc.returncode != 0 or failed or len(figures) != len(jobs):
            raise BenchError(f"replay {tag}: jobs {failed or '?'} failed: "
                             f"{proc.stderr.strip()[-800:]}")
        return figures


def all_placed(figures, scenario):
    """Raise BenchError unless every job of figures placed every request it measured."""
    for f in figures:
        if f["refused"] or f["errors"]:
            raise BenchError(f"{scenario} {f['name']}: {f['refused']} refused, {f['errors']} "
                             f"errors ({f.get('first_error')})")
    return figures


def write_json(path, doc):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))


def write_jsonl(path, docs):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        for d in docs:
            f.write(json.dumps(d, separators=(",", ":")) + "\n")


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


# ---------------------------------------------------------------- requests

def server(flavor, name=None, groups=None):
    props = {"flavor": flavor}
    if groups:
        props["metadata"] = {"valet": {"groups": groups}}
    res = {"type": "OS::Nova::Server", "properties": props}
    if name:
        res["name"] = name
    return res


def assignment(gtype, level, members, name=None):
    props = {"group_type": gtype, "level": level, "resources": members}
    if name:
        props["group_name"] = name
    return {"type": "ATT::Valet::GroupAssignment", "properties": props}


def pipe(a, b, mbps):
    return {"type": "ATT::Valet::Pipe",
            "properties": {"resources": [a, b], "bandwidth": {"min": mbps, "units": "Mbps"}}}


def plan(stack_id, resources):
    return {"plan_name": stack_id, "stack_id": stack_id, "resources": resources}


# ---------------------------------------------------------------- summary rows

def row(scenario, metric, value, anchor=None, anchor_value=None, unit="", target=None,
        meets=None, better="lower", note=None):
    """One headline figure. ratio = value / anchor_value, when both are known."""
    ratio = None
    if value is not None and anchor_value not in (None, 0):
        ratio = value / anchor_value
    r = {"scenario": scenario, "metric": metric, "value": value, "anchor": anchor,
         "anchor_value": anchor_value, "ratio": ratio, "unit": unit, "better": better,
         "target": target, "meets": meets}
    if note:
        r["note"] = note
    return r


def quantile(ordered, q):
    """The q-quantile (0..1) of a sorted, non-empty list: the nearest of its ranks."""
    return ordered[min(len(ordered) - 1, int(q * (len(ordered) - 1) + 0.5))]


def gap_pct(value, ref):
    return None if not ref else 100.0 * (value - ref) / ref


# ---------------------------------------------------------------- formatting

def fmt(v, digits=3):
    """A number for a table: thousands separated, a few significant digits."""
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, str):
        return v
    if isinstance(v, int) or (isinstance(v, float) and v.is_integer() and abs(v) >= 100):
        return f"{int(round(v)):,}"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.{digits - 1}f}" if a < 10 else f"{v:.{max(digits - 2, 0)}f}"
    if a == 0:
        return "0"
    return f"{v:.{digits}g}"


def pct(v):
    return "—" if v is None else f"{v:+.2f}%"


def table(header, rows):
    """A Markdown table; cells are formatted with fmt unless already strings."""
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for r in rows:
        out.append("| " + " | ".join(c if isinstance(c, str) else fmt(c) for c in r) + " |")
    return "\n".join(out)


def verdict(meets):
    if meets is None:
        return "—"
    return "met" if meets else "**MISSED**"


# ---------------------------------------------------------------- plots

def gnuplot(ctx, name, script):
    """Render a PNG into the output folder with gnuplot; returns its file name or None."""
    if shutil.which("gnuplot") is None:
        ctx.log("  gnuplot not found: plot %s skipped" % name)
        return None
    png = os.path.join(ctx.out_dir, name)
    full = f'set terminal pngcairo size 800,480 noenhanced\nset output "{png}"\n' + script
    proc = subprocess.run(["gnuplot"], input=full, text=True, stderr=subprocess.PIPE)
    if proc.returncode != 0:
        ctx.log(f"  gnuplot failed for {name}: {proc.stderr.strip()[:300]}")
        return None
    return name


def data_block(name, rows):
    """A gnuplot inline data block $name from rows of numbers."""
    lines = [f"${name} << EOD"] + [" ".join(str(x) for x in r) for r in rows] + ["EOD"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- machine

def _first_line(cmd):
    try:
        out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        return out.stdout.strip().splitlines()[0] if out.stdout.strip() else None
    except OSError:
        return None


def _cmake_cache(build_dir, key):
    try:
        with open(os.path.join(build_dir, "CMakeCache.txt")) as f:
            for line in f:
                if line.startswith(key + ":"):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return None


def machine(build_dir):
    cpu = None
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.+)$", f.read(), re.M)
            cpu = m.group(1).strip() if m else None
    except OSError:
        pass
    mem_gb = None
    try:
        with open("/proc/meminfo") as f:
            m = re.search(r"^MemTotal:\s*(\d+) kB", f.read(), re.M)
            mem_gb = round(int(m.group(1)) / 1024 / 1024, 1) if m else None
    except OSError:
        pass
    cc = _cmake_cache(build_dir, "CMAKE_C_COMPILER") or "cc"
    return {
        "cpu": cpu or platform.processor() or "unknown",
        "cores": os.cpu_count(),
        "memory_gb": mem_gb,
        "kernel": platform.release(),
        "os": _first_line(["sh", "-c", ". /etc/os-release && echo $PRETTY_NAME"]),
        "compiler": _first_line([cc, "--version"]),
        "build_type": _cmake_cache(build_dir, "CMAKE_BUILD_TYPE"),
        "c_flags": _cmake_cache(build_dir, "CMAKE_C_FLAGS_" + (
            _cmake_cache(build_dir, "CMAKE_BUILD_TYPE") or "").upper()),
        "commit": _first_line(["git", "-C", REPO, "rev-parse", "--short", "HEAD"]),
        "load_average_at_start": os.getloadavg()[0] if hasattr(os, "getloadavg") else None,
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
    }
