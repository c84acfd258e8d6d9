"""The results tables in markdown, written from the rows' JSON summaries alone.

`markdown(row)` is one row's section; `write_docs` rebuilds the marked block of docs/results.md
from every row summary kept beside it (docs/results/<row>/row.json), so merging some rows again
leaves the others in place, as report/measure.py --docs does for its tables.
"""

import json
import pathlib
import re

from harness import run_folder

FIGURES = ("inception_score", "frechet_distance", "classes")
FIGURE_NAMES = (
    "Inception Score (max 10)",
    "Frechet distance to the test set",
    "classes with >= 5%",
)
LABELS = {"tf1": "TF1 reference", "pytorch": "PyTorch port"}
# A paired row's figures: their names and the decimals a value is shown with (a difference of
# integer counts is an integer; their means get one decimal).
PAIRED = {
    "modes_covered": ("modes covered", 0),
    "high_quality_fraction": ("high-quality fraction", 3),
    "inception_score": ("Inception Score", 2),
    "frechet_distance": ("Frechet distance", 2),
    "classes": ("classes with >= 5%", 0),
}
BEGIN, END = "<!-- results.merge: begin -->", "<!-- results.merge: end -->"
DOC = pathlib.Path("docs") / "results.md"
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


def _cell(values, digits):
    return "-" if values is None else f"{values[0]:.{digits}f} ± {values[1]:.{digits}f}"


def _reason(detail):
    """A stop's sentence up to where it says that the run stopped."""
    return re.split(r",? so the run stopped there|; the run stopped there", detail)[0].rstrip(".")


def _what(link):
    """What a copied picture shows, from its name (<framework>-seed-<S>-<what>.png)."""
    what = pathlib.Path(link).stem.split("-", 3)[-1]
    return f"epoch {int(what):,}" if what.isdigit() else what.replace("_", " ")


def markdown(row):
    """The row's section of docs/results.md, from its JSON summary alone."""
    runs = row["runs"]
    title = f"### `{row['name']}`" + (f": {row['note']}" if row["note"] else "")
    if "flags" in row["commands"]:
        how = f"`{row['model']}` with {row['commands']['flags']}"
    else:
        commands = dict(row["commands"])
        first = f"`{commands.pop('initial')}`, then " if "initial" in commands else ""
        how = first + " and ".join(f"`{c}`" for c in commands.values())
    dates = row["dates"]
    when = (
        "not finished yet"
        if not dates
        else dates[0]
        if dates[0] == dates[-1]
        else f"{dates[0]} to {dates[1]}"
    )
    machines = "; ".join(
        label
        + {
            "merge": " (recorded at merge time: the run folders do not name their machine, "
            "and their TensorBoard files name this host)",
            "none": "",
            "machine.json": "",
        }[source]
        for label, source in row["machines"]
    )
    lines = [
        title,
        "",
        f"{how}; seeds {', '.join(map(str, row['seeds']))}; "
        f"{row['budget']} per run; finished {when}; machine: {machines}.",
        "",
    ]
    if row["model"] == "ring_gan":
        lines += ring_markdown(row)
    if "quality" in row:
        lines += mnist_markdown(row)
    if "paired" in row:
        lines += paired_markdown(row)
    if "lyeoni-losses" in row["extras"]:
        lines += lyeoni_markdown(row)
    if "cost-lines" in row["extras"]:
        lines += cost_markdown(row)
    pictures = [(r, p) for r in runs for p in r.get("pictures", [])]
    pictures += [(r, r["curve"]) for r in runs if "curve" in r]
    if pictures:
        lines += [
            "Pictures: "
            + ", ".join(
                f"[{LABELS[r['framework']]} seed {r['seed']} {_what(p)}]({p})" for r, p in pictures
            )
            + ".",
            "",
        ]
    stopped = [r for r in runs if r["state"] == "stopped"]
    lines += [
        f"- {LABELS[r['framework']]}, seed {r['seed']}: {_reason(r['detail'])}; the run "
        "stopped there (counted, not scored)."
        for r in stopped
    ]
    unfinished = [r for r in runs if r["state"] in ("interrupted", "lost")]
    lines += [
        f"- Not finished, left out: {LABELS[r['framework']]}, seed {r['seed']}: {r['detail']}."
        for r in unfinished
    ]
    missing = row.get("not_started", [])
    if missing:
        lines.append(
            "- Not started: " + ", ".join(f"{LABELS[f]} seed {s}" for f, s in missing) + "."
        )
    return "\n".join(lines + ([""] if stopped or unfinished or missing else []))


def ring_markdown(row):
    lines = [
        "| | runs | every mode covered, high-quality fraction >= 0.75 | rate (95% Wilson "
        "interval) |",
        "|---|---|---|---|",
    ]
    for framework, s in row["ring"].items():
        low, high = s["interval"]
        lines.append(
            f"| {LABELS[framework]} | {s['counted']} | {s['covers']} | "
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


def mnist_markdown(row):
    samples = row["samples"]
    lines = [
        f"{samples:,} generated digits per run, scored by the archive's classifier "
        f"({row['classifier']['test_accuracy'] * 100:.2f}% test accuracy); mean ± sample "
        "deviation over the scored runs.",
        "",
        "| | " + " | ".join(FIGURE_NAMES) + " | runs scored |",
        "|---|---|---|---|---|",
    ]
    for framework, s in row["quality"].items():
        cells = [_cell(s[f], 1 if f == "classes" else 2) for f in FIGURES]
        lines.append(
            f"| {LABELS[framework]} | "
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
            + ", ".join(f"[{LABELS[r['framework']]} seed {r['seed']}]({r['grid']})" for r in grids)
            + ".",
        ]
    return lines + [""]


def _number(value, digits, sign=False):
    """`value` with `digits` decimals (and its sign when `sign` and it is not zero), or -."""
    if value is None:
        return "-"
    text = f"{value:.{digits}f}"
    return "+" + text if sign and not text.startswith("-") and float(text) != 0 else text


def paired_markdown(row):
    """Per seed, each figure of both runs and their difference; per figure, the mean absolute
    difference beside each framework's sample deviation across the same seeds."""
    paired = row["paired"]
    names = paired["figures"]
    lines = [
        "Framework against seed: each seed's two runs start from the same initial weights (the "
        "TF1 reference's own draws at that seed, through the port's cross-check name map), so "
        "what separates them is only arithmetic and random streams.",
        "",
        "| seed | "
        + " | ".join(f"{PAIRED[n][0]}: reference / port / port - reference" for n in names)
        + " |",
        "|---|" + "---|" * len(names),
    ]
    for entry in paired["seeds"]:
        cells = []
        for name in names:
            digits = PAIRED[name][1]
            values = [
                _number(entry[f][name], digits) if entry[f] else f"- ({entry[f + '_state']})"
                for f in ("tf1", "pytorch")
            ]
            difference = entry.get("difference", {}).get(name)
            cells.append(" / ".join(values + [_number(difference, digits, sign=True)]))
        lines.append(f"| {entry['seed']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| figure | seeds paired | mean difference (port - reference) | mean absolute "
        "difference | TF1 reference: sample deviation across seeds | PyTorch port: sample "
        "deviation across seeds |",
        "|---|---|---|---|---|---|",
    ]
    for name in names:
        s, digits = paired["summary"][name], max(PAIRED[name][1], 1)
        lines.append(
            f"| {PAIRED[name][0]} | {s['pairs']} | "
            f"{_number(s['mean_difference'], digits, sign=True)} | "
            f"{_number(s['mean_absolute_difference'], digits)} | "
            f"{_number(s['deviation']['tf1'], digits)} | "
            f"{_number(s['deviation']['pytorch'], digits)} |"
        )
    if paired["unpaired"]:
        rows = " and ".join(f"`{name}`" for name in paired["unpaired"])
        lines += ["", f"Unpaired rows of this model, each framework from its own draws: {rows}."]
    return lines + [""]


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
        + " | ".join(f"{LABELS[r['framework']]} seed {r['seed']}" for r in runs)
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
        "| | " + " | ".join(f"{LABELS[r['framework']]} seed {r['seed']}" for r in runs) + " |",
        "|---|" + "---|" * len(runs),
    ]
    for epoch in dict.fromkeys(e for cost in costs for e in cost):
        lines.append(f"| `{epoch}` | " + " | ".join(f"`{c.get(epoch, '-')}`" for c in costs) + " |")
    return lines + [""]


def order(names, table):
    """Row names in the row table's order, then the others by name."""
    position = {row.name: i for i, row in enumerate(table)}
    return sorted(names, key=lambda n: (position.get(n, len(position)), n))


def write_docs(doc, table, log=print):
    """Replace the marked block of `doc` with every row kept in `<doc folder>/results/*/`."""
    doc = pathlib.Path(doc)
    kept = {
        p.parent.name: json.loads(p.read_text())
        for p in (doc.parent / "results").glob("*/row.json")
    }
    block = "\n\n".join(markdown(kept[name]).rstrip() for name in order(kept, table))
    hint = "; add the two lines where the tables belong"
    run_folder.replace_block(doc, BEGIN, END, block, hint)
    log(f"merge: wrote {len(kept)} row(s) into {doc}")
