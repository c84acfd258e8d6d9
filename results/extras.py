"""A row's extras (results/rows.py EXTRAS): what its merge adds besides its figures.

- "coverage-curve": each done run's coverage records over the run, drawn as a curve;
- "lyeoni-losses": the per-epoch mean losses of loss.txt beside lyeoni's published ones;
- "cost-lines": the `Epoch: NNNN cost=` lines each run printed, side by side.
`add` reads them from a done run's folder into its record; `markdown` writes their tables.
"""

import re

from harness import run_folder
from results import coverage, pictures
from results import rows as row_table

LOSS_LINE = re.compile(r"\[(\d+)/(\d+)\]: loss_d: (\S+), loss_g: (\S+)")
COST_LINE = re.compile(r"^Epoch: (\d+) cost= (\S+)")
# lyeoni/pytorch-mnist-GAN pytorch-mnist-GAN.ipynb, the notebook's printed per-epoch means of
# the D and G losses (batch 100, 200 epochs), the epochs it shows.
LYEONI_LOSSES = {
    1: (0.612, 4.823),
    2: (0.433, 7.166),
    5: (0.981, 5.142),
    10: (0.915, 2.447),
    20: (0.516, 3.059),
    30: (0.675, 2.424),
    50: (0.866, 1.708),
    75: (0.977, 1.469),
    100: (1.007, 1.432),
    125: (0.992, 1.436),
    150: (0.960, 1.485),
    175: (0.913, 1.582),
    200: (0.853, 1.727),
}
# lyeoni's README, of its 100-sample grids (8 per row, 242 x 392 pixels).
LYEONI_PICTURES = (
    "lyeoni's README shows, before training, blurry and noisy shapes, nearly all "
    'like 8 or 9 ("mode collapsing"), and after 100 and after 200 epochs '
    "clean, diverse white-on-black digits (many 1s, also 0, 3, 4, 6, 7, "
    "9)."
)


def loss_lines(run):
    path = run.folder / "loss.txt"
    found = (LOSS_LINE.match(x) for x in path.read_text().splitlines()) if path.is_file() else ()
    return {int(m.group(1)): [float(m.group(3)), float(m.group(4))] for m in found if m}


def cost_lines(run):
    path = run.folder / "log.txt"
    lines = path.read_text().splitlines() if path.is_file() else []
    return [x for x in lines if COST_LINE.match(x)]


def add(run, record, extras, pictures_folder, link):
    """Put the `extras` of a done run into its `record` (a curve's picture under
    `pictures_folder`, linked as `link`/<name>)."""
    if "lyeoni-losses" in extras:
        record["losses"] = loss_lines(run)
    if "cost-lines" in extras:
        record["cost_lines"] = cost_lines(run)
    if "coverage-curve" in extras:
        from figures import ring as ring_figures

        figure = ring_figures.coverage_plot(coverage.coverage_records(run))
        curve = pictures_folder / f"{run.framework}-seed-{run.seed}-coverage.png"
        curve.parent.mkdir(parents=True, exist_ok=True)
        run_folder.atomic_write(curve, lambda p: figure.savefig(p, format="png", dpi=80))
        pictures.small_png(curve, curve)
        record["curve"] = f"{link}/{curve.name}"


def markdown(row):
    """The tables of the row's extras."""
    lines = []
    if "lyeoni-losses" in row["extras"]:
        lines += lyeoni_markdown(row)
    if "cost-lines" in row["extras"]:
        lines += cost_markdown(row)
    return lines


def lyeoni_markdown(row):
    runs = [r for r in row["runs"] if "losses" in r]
    if not runs:
        return []
    last = max(max(map(int, r["losses"]), default=0) for r in runs)
    epochs = sorted(
        {e for e in LYEONI_LOSSES if e <= last} | {e for e in range(10, last + 1, 10)} | {last}
    )
    lines = [
        "Per-epoch mean losses (D / G) from loss.txt beside lyeoni's published ones "
        "(batch 100, 200 epochs):",
        "",
        "| epoch | lyeoni | "
        + " | ".join(f"{row_table.LABELS[r['framework']]} seed {r['seed']}" for r in runs)
        + " |",
        "|---|---|" + "---|" * len(runs),
    ]
    for epoch in epochs:
        theirs = LYEONI_LOSSES.get(epoch)
        cells = [f"{theirs[0]:.3f} / {theirs[1]:.3f}" if theirs else "-"]
        for r in runs:
            ours = r["losses"].get(str(epoch), r["losses"].get(epoch))
            cells.append(f"{ours[0]:.3f} / {ours[1]:.3f}" if ours else "-")
        lines.append(f"| {epoch} | " + " | ".join(cells) + " |")
    return lines + ["", LYEONI_PICTURES, ""]


def cost_markdown(row):
    """The `Epoch: NNNN cost=` lines each run printed, side by side."""
    runs = [r for r in row["runs"] if r.get("cost_lines")]
    if not runs:
        return []
    costs = [dict(line.split(" cost= ") for line in r["cost_lines"]) for r in runs]
    lines = [
        "The printed `Epoch: NNNN cost=` lines:",
        "",
        "| | "
        + " | ".join(f"{row_table.LABELS[r['framework']]} seed {r['seed']}" for r in runs)
        + " |",
        "|---|" + "---|" * len(runs),
    ]
    for epoch in dict.fromkeys(e for cost in costs for e in cost):
        lines.append(f"| `{epoch}` | " + " | ".join(f"`{c.get(epoch, '-')}`" for c in costs) + " |")
    return lines + [""]
