"""Results figures of an MNIST run: its digits scored by the archive's classifier.

A model whose registry row names `results="results.digits"` (the MNIST models) has each done
run scored from its final checkpoint (results/score.py, drawing z as the row's `sampling`
says): Inception score, Frechet distance to the test set, classes with at least 5% of the
digits. Per framework, the mean and sample deviation over the scored runs, beside the
real-image ceiling and the one-digit and noise floors; per run, a 10 x 10 grid of its first
100 scored digits.
"""

import numpy as np

from results import pictures
from results import rows as row_table

KEY = "quality"  # The row summary's key of its table.
SCORED = True  # The merge builds the classifier (results/score.py Scorer) for these rows.
FIGURE_NAMES = {
    "inception_score": "Inception Score (max 10)",
    "frechet_distance": "Frechet distance to the test set",
    "classes": "classes with >= 5%",
}
# What a paired row compares: each figure's name in the table and the decimals a value is
# shown with (a difference of counts is a count; its mean gets one decimal).
PAIRED = {
    "inception_score": ("Inception Score", 2),
    "frechet_distance": ("Frechet distance", 2),
    "classes": ("classes with >= 5%", 0),
}
FIGURES = tuple(FIGURE_NAMES)


def add(run, record, scorer, pictures_folder, link, log, row):
    """Score a done run and put its figures and its grid of digits into its `record`."""
    if run.state != "done":
        return
    log(f"merge: scoring {row} {run.framework} seed {run.seed}")
    figures, images = scorer.score(run.folder, run.saved)
    record[KEY] = figures
    from figures import image_grid

    grid = np.floor(image_grid.tile(images[:100], nrow=10) * 255 + 0.5).astype(np.uint8)
    grid_name = f"{run.framework}-seed-{run.seed}-digits.png"
    pictures.small_png(grid, pictures_folder / grid_name)
    record["grid"] = f"{link}/{grid_name}"


def _cell(values, digits):
    return "-" if values is None else f"{values[0]:.{digits}f} ± {values[1]:.{digits}f}"


def spread(values):
    values = np.asarray(values, dtype=np.float64)
    return [float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0]


def summarize(result, records, scorer):
    """Put the row's figures per framework, the ceiling and floors and the classifier into
    `result` (nothing when no run was scored, so the merge built no scorer)."""
    if scorer is None:
        return
    summary = {}
    for framework in row_table.FRAMEWORKS:
        counted = [
            r for r in records if r["framework"] == framework and r["state"] in ("done", "stopped")
        ]
        if not counted:
            continue
        scored = [r[KEY] for r in counted if KEY in r]
        summary[framework] = {
            "counted": len(counted),
            "scored": len(scored),
            **{f: spread([q[f] for q in scored]) if scored else None for f in FIGURES},
        }
    result[KEY] = summary
    result["lines"] = scorer.lines
    result["samples"] = scorer.samples
    result["classifier"] = scorer.classifier


def final(record):
    """{figure: value} of a scored run, or None."""
    quality = record.get(KEY)
    return {f: quality[f] for f in FIGURES} if quality else None


def markdown(row):
    """The row's table of figures per framework, the ceiling and floors, and its grids."""
    if KEY not in row:
        return []
    samples = row["samples"]
    lines = [
        f"{samples:,} generated digits per run, scored by the archive's classifier "
        f"({row['classifier']['test_accuracy'] * 100:.2f}% test accuracy); mean ± sample "
        "deviation over the scored runs.",
        "",
        "| | " + " | ".join(FIGURE_NAMES.values()) + " | runs scored |",
        "|---|---|---|---|---|",
    ]
    for framework, s in row[KEY].items():
        cells = [_cell(s[f], 1 if f == "classes" else 2) for f in FIGURES]
        lines.append(
            f"| {row_table.LABELS[framework]} | "
            + " | ".join(cells)
            + f" | {s['scored']} of {s['counted']} |"
        )
    for name, q in row["lines"].items():
        lines.append(
            f"| {name} | {q['inception_score']:.2f} | {q['frechet_distance']:.2f} | "
            f"{q['classes']} | - |"
        )
    grids = [r for r in row["runs"] if "grid" in r]
    if grids:
        lines += [
            "",
            "The first 100 scored digits of each run: "
            + ", ".join(
                f"[{row_table.LABELS[r['framework']]} seed {r['seed']}]({r['grid']})" for r in grids
            )
            + ".",
        ]
    return lines + [""]
