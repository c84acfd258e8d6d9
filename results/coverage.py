"""Results figures of a ring run: the modes it covers and its high-quality fraction at the end.

A model whose registry row names `results="results.coverage"` (ring_gan) logs coverage records
to metrics.jsonl: its display's own generator draws 2,500 points, and the record counts the
modes covered and the fraction of points near a mode. Per run, the merge keeps every record
and whether the run covers the ring (every mode, a high-quality fraction of at least
HIGH_QUALITY); per framework, how many runs do, as a rate with its 95% Wilson interval.
"""

import json
import math

from results import rows as row_table

KEY = "ring"  # The row summary's key of its table.
SCORED = False  # It needs no classifier: the figures are in the run's own metrics.
HIGH_QUALITY = 0.75  # A run "covers the ring" with every mode and this high-quality fraction.
WILSON_Z = 1.96  # 95% interval.
# What a paired row compares, of a run's last coverage record: its name in the table and the
# decimals a value is shown with (a difference of counts is a count; its mean gets one decimal).
PAIRED = {
    "modes_covered": ("modes covered", 0),
    "high_quality_fraction": ("high-quality fraction", 3),
}
FIGURES = tuple(PAIRED)


def wilson(successes, n, z=WILSON_Z):
    """(low, high) of the Wilson score interval for successes of n."""
    if n == 0:
        return (0.0, 1.0)
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def coverage_records(run):
    path = run.folder / "metrics.jsonl"
    lines = path.read_text().splitlines() if path.is_file() else []
    return [r for r in map(json.loads, filter(None, lines)) if "modes_covered" in r]


def add(run, record, **merging):
    """Put the run's coverage records, and whether it covers the ring, into its `record`."""
    records = coverage_records(run)
    record["coverage"] = [
        {k: r[k] for k in ("epoch", "modes_covered", "modes", "high_quality_fraction")}
        for r in records
    ]
    last = records[-1] if records else None
    record["covers"] = bool(
        run.state == "done"
        and last
        and last["modes_covered"] == last["modes"]
        and last["high_quality_fraction"] >= HIGH_QUALITY
    )


def summarize(result, records, scorer=None):
    """Put the row's rate of runs covering the ring, per framework, into `result`."""
    summary = {}
    for framework in row_table.FRAMEWORKS:
        counted = [
            r for r in records if r["framework"] == framework and r["state"] in ("done", "stopped")
        ]
        if not counted:
            continue
        covers = sum(r["covers"] for r in counted)
        summary[framework] = {
            "counted": len(counted),
            "covers": covers,
            "rate": covers / len(counted),
            "interval": wilson(covers, len(counted)),
        }
    result[KEY] = summary


def final(record):
    """{figure: value} of the run's last coverage record, or None when it has none."""
    last = record["coverage"][-1] if record.get("coverage") else None
    return {f: last[f] for f in FIGURES} if last else None


def markdown(row):
    """The row's coverage tables: the rate per framework, then each seed's last record."""
    lines = [
        "| | runs | every mode covered, high-quality fraction >= 0.75 | rate (95% Wilson "
        "interval) |",
        "|---|---|---|---|",
    ]
    for framework, s in row[KEY].items():
        low, high = s["interval"]
        lines.append(
            f"| {row_table.LABELS[framework]} | {s['counted']} | {s['covers']} | "
            f"{s['rate']:.2f} ({low:.2f}-{high:.2f}) |"
        )
    by_seed = {}
    for r in row["runs"]:
        last = r["coverage"][-1] if r.get("coverage") else None
        cell = (
            "-"
            if last is None
            else (f"{last['modes_covered']} / {last['high_quality_fraction']:.2f}")
        )
        if r["state"] != "done":
            cell += f" ({r['state']})"
        by_seed.setdefault(r["seed"], {})[r["framework"]] = cell
    lines += [
        "",
        "| seed | TF1 reference: modes / high-quality fraction at the end | "
        "PyTorch port: modes / high-quality fraction at the end |",
        "|---|---|---|",
    ]
    for seed, cells in by_seed.items():
        lines.append(f"| {seed} | {cells.get('tf1', '-')} | {cells.get('pytorch', '-')} |")
    return lines + [""]
