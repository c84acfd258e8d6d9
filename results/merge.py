"""`merge`: finished run folders -> the results tables (markdown and JSON) and small pictures.

Runs are found under the given folders (any folder holding hparams.json, results/runs.py) and
grouped into rows: a run in the plan's layout, `<row>/<framework>/seed-<S>`, belongs to row
`<row>`, any other to the row named after its model. Runs that do not belong together stop the
merge with one sentence naming two of them (results/checks.py). Stopped runs are counted in
their row and named with their reason; unfinished ones are named with their step and left out.
Per row:
- its model's figures, by the module its registry row names: results/coverage.py (ring_gan:
  the modes each run covers, and how many runs cover the ring) or results/digits.py (the MNIST
  models: each done run's digits scored by the archive's classifier, results/score.py);
- its extras (results/extras.py) and its pictures, copied small (results/pictures.py);
- a paired row: per seed, the difference port - reference of each of those figures where both
  runs are done (and scored), its mean and mean absolute value over those seeds, beside each
  framework's sample deviation across the same seeds; and the table's unpaired rows of the
  same model, where each framework starts from its own draws.
results/page.py writes the markdown from the row summaries this returns.
"""

import datetime
import json
import re
import shlex
import shutil

import numpy as np

from harness import cli, cpu, registry, run_folder
from results import checks, extras, page, pictures
from results import plan as planning
from results import rows as row_table
from results import runs as run_folders


def paired_figures(model, record):
    """{figure: value} that a paired row compares, of a done (and scored) run, or None."""
    figures = registry.results(model)
    if record["state"] != "done" or figures is None:
        return None
    return figures.final(record)


def deviation(values):
    """The sample standard deviation, or None for fewer than two values."""
    return float(np.std(values, ddof=1)) if len(values) > 1 else None


def paired_summary(model, records, seeds, unpaired=()):
    """Per seed, each framework's figures and the difference port - reference; per figure, the
    mean and mean absolute difference over the seeds where both runs have figures, beside each
    framework's sample deviation across those seeds; `unpaired`: rows to compare with."""
    figures = registry.results(model)
    names = figures.FIGURES if figures else ()
    by_seed = {}
    for record in records:
        by_seed.setdefault(record["seed"], {})[record["framework"]] = record
    pairs = []
    for seed in seeds:
        runs = by_seed.get(seed, {})
        entry = {"seed": seed}
        for framework in row_table.FRAMEWORKS:
            run = runs.get(framework)
            entry[framework] = paired_figures(model, run) if run else None
            entry[f"{framework}_state"] = run["state"] if run else "not started"
        if entry["tf1"] and entry["pytorch"]:
            entry["difference"] = {f: entry["pytorch"][f] - entry["tf1"][f] for f in names}
        pairs.append(entry)
    complete = [p for p in pairs if "difference" in p]
    summary = {}
    for name in names:
        differences = np.asarray([p["difference"][name] for p in complete], dtype=np.float64)
        summary[name] = {
            "pairs": len(complete),
            "mean_difference": float(differences.mean()) if complete else None,
            "mean_absolute_difference": float(np.abs(differences).mean()) if complete else None,
            "deviation": {
                f: deviation([p[f][name] for p in complete]) for f in row_table.FRAMEWORKS
            },
        }
    return {"figures": list(names), "seeds": pairs, "summary": summary, "unpaired": list(unpaired)}


def unpaired_rows(spec, table):
    """The table's unpaired rows of the paired row `spec`'s model: those with its flags and
    kernel paths when there are any, else all of them."""
    same_model = [r for r in table if r.model == spec.model and not r.paired]
    same = [r for r in same_model if (r.args, r.cpu_path) == (spec.args, spec.cpu_path)]
    return [r.name for r in same or same_model]


# One row.


def row_commands(spec, runs):
    """The row's two commands (with S for the seed; a paired row's initial-weights command
    first, as "initial") or, outside the table, its flags."""
    if spec is None:
        flags = runs[0].key(cross=True)
        return {"flags": ", ".join(f"{k} {v}" for k, v in flags.items() if k != "model")}
    commands, init = {}, "INIT.npz" if spec.paired else None
    if spec.paired:
        commands["initial"] = shlex.join(planning.init_command(spec, "S", init))
    for framework in spec.frameworks:
        words = planning.command(spec, framework, "S", "RUN", init=init)[:-2]  # Without --out.
        commands[framework] = shlex.join(words)
    return commands


def budget(model, saved, steps):
    """The run length in the model's own unit, and in steps when the runs finished."""
    entry = registry.check(model)
    field = entry.length_flag[2:].replace("-", "_")
    value = saved.get(field)
    unit = entry.unit if value != 1 else re.sub(r"s\b", "", entry.unit)
    words = f"{value:,} {unit}" if isinstance(value, int) else f"{field} {value}"
    return words + (f", {steps:,} steps" if steps and steps != value else "")


def _seed_order(spec, seed):
    """Seeds in the row table's order, then any others by value."""
    seeds = list(spec.seeds) if spec else []
    return (seeds.index(seed) if seed in seeds else len(seeds), seed)


def merge_row(name, runs, spec, scorer, folder, link, log, table=()):
    """The JSON-able summary of one row (pictures written under `folder`, linked as
    `link`/<name>); `table`: the rows a paired row points to."""
    model = runs[0].saved["model"]
    figures = registry.results(model)  # Its model's figures (results/coverage.py ...), or None.
    kernel_path = spec.cpu_path if spec else "native"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    records = []
    for run in runs:
        label, host, source = run_folders.machine_of(run, kernel_path)
        record = {
            "framework": run.framework,
            "seed": run.seed,
            "folder": str(run.folder),
            "state": run.state,
            "detail": run.detail,
            "steps": run.steps,
            "date": run_folders.finished_date(run),
            "elapsed_s": run_folders.elapsed(run),
            "machine": label,
            "host": host,
            "machine_source": source,
        }
        if figures is not None:
            figures.add(
                run, record, scorer=scorer, pictures_folder=folder, link=link, log=log, row=name
            )
        if run.state == "done" and spec is not None:
            record["pictures"] = pictures.copy_pictures(run, spec.pictures, folder, link)
            extras.add(run, record, spec.extras, folder, link)
        records.append(record)
    dates = sorted(r["date"] for r in records if r["date"])
    steps = next((run.steps for run in runs if run.steps), None)
    result = {
        "name": name,
        "model": model,
        "note": spec.note if spec else "",
        "commands": row_commands(spec, runs),
        "budget": budget(model, runs[0].saved, steps),
        "seeds": list(
            dict.fromkeys(
                r["seed"] for r in sorted(records, key=lambda r: _seed_order(spec, r["seed"]))
            )
        ),
        "kernel_path": kernel_path,
        "dates": [dates[0], dates[-1]] if dates else None,
        "machines": sorted({(r["machine"], r["machine_source"]) for r in records}),
        "extras": list(spec.extras) if spec else [],
        "runs": records,
        "not_started": [
            [f, s]
            for s in (spec.seeds if spec else ())
            for f in (spec.frameworks if spec else row_table.FRAMEWORKS)
            if not any(r.framework == f and r.seed == s for r in runs)
        ],
    }
    if figures is not None:
        figures.summarize(result, records, scorer)
    paired = spec.paired if spec else all(r.saved.get("init_weights") for r in runs)
    if paired:
        unpaired = unpaired_rows(spec, table) if spec else ()
        result["paired"] = paired_summary(model, records, result["seeds"], unpaired)
    return result


# Writing.


def merge(paths, table, scorer_factory, out=None, docs=None, log=print):
    """Merge the runs under `paths`; returns the list of row summaries."""
    runs = [run_folders.read(folder) for folder in run_folders.find(paths)]
    if not runs:
        raise cli.UserError(f"no run folder (hparams.json) under {', '.join(map(str, paths))}.")
    by_name = {row.name: row for row in table}
    grouped = {}
    for run in runs:
        grouped.setdefault(run.row, []).append(run)
    for name, members in grouped.items():
        spec = by_name.get(name)
        members.sort(
            key=lambda r: (row_table.FRAMEWORKS.index(r.framework), *_seed_order(spec, r.seed))
        )
        checks.check(name, members, spec)
    scorer = None
    if any(
        getattr(registry.results(m[0].saved["model"]), "SCORED", False)
        and any(r.state == "done" for r in m)
        for m in grouped.values()
    ):
        scorer = scorer_factory()
    summaries, stamp = [], datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    for name in page.order(grouped, table):
        homes = [home / "results" / name for home in (out, docs and docs.parent) if home]
        summary = merge_row(
            name, grouped[name], by_name.get(name), scorer, homes[0], f"results/{name}", log, table
        )
        summary["merged"] = stamp
        for home in homes[1:]:  # Both --out and --docs: the same pictures in both places.
            if home.exists():
                shutil.rmtree(home)
            shutil.copytree(homes[0], home)
        summaries.append(summary)
    text = "\n\n".join(page.markdown(s).rstrip() for s in summaries) + "\n"
    if out:
        out.mkdir(parents=True, exist_ok=True)
        record = {"merged": stamp, "merged_on": cpu.label(), "rows": summaries}
        run_folder.atomic_write(
            out / "results.json", lambda p: p.write_text(json.dumps(record, indent=1) + "\n")
        )
        run_folder.atomic_write(out / "results.md", lambda p: p.write_text(text))
        log(
            f"merge: wrote {out / 'results.md'}, {out / 'results.json'} and the pictures in "
            f"{out / 'results'}"
        )
    if docs:
        for summary in summaries:
            row_json = docs.parent / "results" / summary["name"] / "row.json"
            row_json.parent.mkdir(parents=True, exist_ok=True)
            run_folder.atomic_write(
                row_json, lambda p, s=summary: p.write_text(json.dumps(s, indent=1) + "\n")
            )
        page.write_docs(docs, table, log)
    return summaries, text
