"""The results tables in markdown, written from the rows' JSON summaries alone.

`markdown(row)` is one row's section: its commands and machine, the tables of its model's
figures (the module its registry row names, results/coverage.py or results/digits.py), the
paired comparison, its extras' tables (results/extras.py), its pictures and its runs that
stopped or did not finish. `write_docs` rebuilds the marked block of docs/results.md from every
row summary kept beside it (docs/results/<row>/row.json), so merging some rows again leaves the
others in place, as report/measure.py --docs does for its tables.
"""

import json
import pathlib
import re

from harness import registry, run_folder
from results import extras
from results import rows as row_table

BEGIN, END = "<!-- results.merge: begin -->", "<!-- results.merge: end -->"
DOC = pathlib.Path("docs") / "results.md"


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
    figures = registry.results(row["model"])
    if figures is not None:
        lines += figures.markdown(row)
    if "paired" in row:
        lines += paired_markdown(row)
    lines += extras.markdown(row)
    pictures = [(r, p) for r in runs for p in r.get("pictures", [])]
    pictures += [(r, r["curve"]) for r in runs if "curve" in r]
    if pictures:
        lines += [
            "Pictures: "
            + ", ".join(
                f"[{row_table.LABELS[r['framework']]} seed {r['seed']} {_what(p)}]({p})"
                for r, p in pictures
            )
            + ".",
            "",
        ]
    stopped = [r for r in runs if r["state"] == "stopped"]
    lines += [
        f"- {row_table.LABELS[r['framework']]}, seed {r['seed']}: {_reason(r['detail'])}; the run "
        "stopped there (counted, not scored)."
        for r in stopped
    ]
    unfinished = [r for r in runs if r["state"] in ("interrupted", "lost")]
    lines += [
        f"- Not finished, left out: {row_table.LABELS[r['framework']]}, seed {r['seed']}: "
        f"{r['detail']}."
        for r in unfinished
    ]
    missing = row.get("not_started", [])
    if missing:
        lines.append(
            "- Not started: "
            + ", ".join(f"{row_table.LABELS[f]} seed {s}" for f, s in missing)
            + "."
        )
    return "\n".join(lines + ([""] if stopped or unfinished or missing else []))


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
    formats = registry.results(row["model"]).PAIRED  # Each figure's name and decimals.
    lines = [
        "Framework against seed: each seed's two runs start from the same initial weights (the "
        "TF1 reference's own draws at that seed, through the port's cross-check name map), so "
        "what separates them is only arithmetic and random streams.",
        "",
        "| seed | "
        + " | ".join(f"{formats[n][0]}: reference / port / port - reference" for n in names)
        + " |",
        "|---|" + "---|" * len(names),
    ]
    for entry in paired["seeds"]:
        cells = []
        for name in names:
            digits = formats[name][1]
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
        s, digits = paired["summary"][name], max(formats[name][1], 1)
        lines.append(
            f"| {formats[name][0]} | {s['pairs']} | "
            f"{_number(s['mean_difference'], digits, sign=True)} | "
            f"{_number(s['mean_absolute_difference'], digits)} | "
            f"{_number(s['deviation']['tf1'], digits)} | "
            f"{_number(s['deviation']['pytorch'], digits)} |"
        )
    if paired["unpaired"]:
        rows = " and ".join(f"`{name}`" for name in paired["unpaired"])
        lines += ["", f"Unpaired rows of this model, each framework from its own draws: {rows}."]
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
