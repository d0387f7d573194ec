"""report.md: the machine, a summary of every headline figure beside its anchor
and target, then one section per scenario (its tables, notes and plots)."""
from .common import fmt, table, verdict

TITLES = {
    "vbp": "1. Vector bin packing (vbp)",
    "bpp": "2. One-dimensional bin packing (bpp)",
    "throughput": "3. Single-server throughput (throughput)",
    "holistic": "4. Holistic multi-tier stacks (holistic)",
    "trace": "5. Azure-derived trace replay (trace)",
    "http": "6. HTTP load on valetd (http)",
    "novapeer": "7. Nova's own scheduler on the holistic stacks (novapeer)",
    "placement": "8. What each Nova boot pays first: Placement's allocation candidates (placement)",
    "reservations": "9. Reservations over time: known ahead, and beside ordinary plans "
                    "(reservations)",
}


def ratio_cell(r):
    if r.get("ratio") is None:
        return "—"
    return f"{r['ratio']:.3f}×"


def render(doc):
    m = doc["machine"]
    out = ["# Valet benchmark report", "",
           f"Mode: **{doc['mode']}** run of `bench/run`, {m.get('date')}, commit "
           f"`{m.get('commit')}`, {fmt(doc.get('seconds'))} s in all.", "",
           "## Machine", "",
           table(["", ""], [["CPU", str(m.get("cpu"))], ["cores", str(m.get("cores"))],
                            ["memory", f"{m.get('memory_gb')} GB"],
                            ["kernel", str(m.get("kernel"))], ["OS", str(m.get("os"))],
                            ["compiler", str(m.get("compiler"))],
                            ["build", f"{m.get('build_type')} ({m.get('c_flags')})"],
                            ["load average at start / end",
                             f"{fmt(m.get('load_average_at_start'))} / "
                             f"{fmt(m.get('load_average_at_end'))}"]]),
           "",
           "Times are wall-clock on this machine, one thread, in the benchmark's process "
           "(no HTTP, no store) unless the scenario says otherwise. Where the anchor is a "
           "program (nova, exact, a lower bound) it ran in the same run on the same input, "
           "and the ratio is taken pair by pair; where it is a published figure, the anchor "
           "column says so. *ratio* = value / anchor value.", "",
           "## Summary", ""]
    missed = [r for r in doc["summary"] if r.get("meets") is False]
    if missed:
        out += [f"**{len(missed)} target(s) missed:** " +
                "; ".join(f"{r['scenario']}: {r['metric']}" for r in missed) + ".", ""]
    rows = []
    for r in doc["summary"]:
        if r["value"] is None:
            value = r.get("note") or "—"
        else:
            value = f"{fmt(r['value'])} {r.get('unit') or ''}".strip()
        rows.append([r["scenario"], r["metric"], value,
                     r.get("anchor") or "—", fmt(r.get("anchor_value")), ratio_cell(r),
                     r.get("target") or "—", verdict(r.get("meets"))])
    out.append(table(["scenario", "metric", "value", "anchor", "anchor value", "ratio",
                      "target", "verdict"], rows))
    for name, title in TITLES.items():
        sc = doc["scenarios"].get(name)
        if sc is None:
            continue
        out += ["", f"## {title}", "", f"*{fmt(sc.get('seconds'))} s.*", "",
                sc.get("report", "")]
        for p in sc.get("plots", []):
            out += ["", f"![{p}]({p})"]
    return "\n".join(out) + "\n"
