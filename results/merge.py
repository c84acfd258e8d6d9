"""`merge`: finished run folders -> the results tables (markdown and JSON) and small pictures.

Runs are found under the given folders (any folder holding hparams.json) and grouped into
rows. A run in the plan's layout, `<row>/<framework>/seed-<S>`, belongs to row `<row>`;
any other run to the row named after its model. The runs of one row must agree in every
hyper-parameter and flag but the seed (and `threads` and `data_dir`, which follow the machine),
in the row table's flags when the row is in it, in the steps they finished with, and in the
kernel switches their machine.json records; otherwise the merge stops with one sentence naming
two runs and the fields where they differ. The runs of a paired row (results/rows.py) must each
have started from that row's file for their seed (hparams.json's `init_weights` names
`<row>/init/seed-<S>.npz`), and those of any other row of the table from their own draws.

Each run is done (`checkpoints/finished`), stopped (a STOPPED file: a NaN stop) or unfinished.
Stopped runs are counted in their row and named with their reason; unfinished ones are named
with their step and left out. Per row, by model:
- ring_gan: each run's last coverage record in metrics.jsonl (2,500 points from the display's
  own generator; modes covered, high-quality fraction) and how many runs cover every mode with a
  high-quality fraction of at least 0.75, as a rate with its 95% Wilson interval;
- MNIST models: each done run scored from its final checkpoint (results/score.py) against the
  real-image ceiling and the one-digit and noise floors, mean and sample deviation per framework,
  and a 10 x 10 grid of each run's first 100 scored digits;
- the row's extras (results/rows.py): the coverage curve over the run, lyeoni's published
  per-epoch losses beside loss.txt's, the printed `Epoch: NNNN cost=` lines; and its pictures,
  copied small;
- a paired row: per seed, the difference port - reference of each figure (ring_gan: modes
  covered and high-quality fraction at the end; MNIST: Inception score, Frechet distance,
  classes) where both runs are done (and scored), its mean and mean absolute value over those
  seeds, beside each framework's sample deviation across the same seeds; and the table's
  unpaired rows of the same model, where each framework starts from its own draws.
The machine is each run's machine.json (written by `python -m results run`); where a folder has
none, the merge names the host its TensorBoard file was written on and, when that is this host,
this machine's label under the row's kernel paths, saying that it was recorded at merge time.
"""

import dataclasses
import datetime
import json
import math
import os
import pathlib
import re
import shlex
import shutil
import socket

import numpy as np

from harness import cli, cpu, registry, run_folder
from results import page
from results import plan as planning
from results import rows as row_table

# Not settings of a row: the seed varies by design, the data folder is a path, and a port's
# thread count follows the machine's cores, as the CPU does (each run's machine is named). The
# initial weights' file differs by seed too; check_init holds it to the row's.
IGNORED = ("seed", "data_dir", "threads", "init_weights")
PER_FRAMEWORK = ("framework", "device", "fused_adam", "fast")  # Within one framework only.
HIGH_QUALITY = 0.75  # A run "covers the ring" with every mode and this high-quality fraction.
WILSON_Z = 1.96  # 95% interval.
LOSS_LINE = re.compile(r"\[(\d+)/(\d+)\]: loss_d: (\S+), loss_g: (\S+)")
COST_LINE = re.compile(r"^Epoch: (\d+) cost= (\S+)")
# The figures a paired row compares, per model kind: a ring run's last coverage record's ...
RING_FIGURES = ("modes_covered", "high_quality_fraction")
# ... and an MNIST run's scores: page.FIGURES.


@dataclasses.dataclass
class Run:
    folder: pathlib.Path
    saved: dict  # hparams.json
    row: str
    state: str  # done, stopped, interrupted or lost (results/plan.py)
    detail: str
    steps: int = None  # Steps done, from checkpoints/finished.

    @property
    def framework(self):
        return self.saved["framework"]

    @property
    def seed(self):
        return self.saved["seed"]

    def key(self, cross=False):
        drop = IGNORED + (PER_FRAMEWORK if cross else ())
        return {k: v for k, v in self.saved.items() if k not in drop}


def find(paths):
    """Every run folder (one holding hparams.json) under `paths`, sorted."""
    found = []
    for path in map(pathlib.Path, paths):
        if not path.exists():
            raise cli.UserError(f"{path} does not exist; pass a results root, row or run folder.")
        if (path / "hparams.json").is_file():
            found.append(path)
            continue
        for folder, subfolders, files in os.walk(path):
            if "hparams.json" in files:
                found.append(pathlib.Path(folder))
                subfolders[:] = []
            else:
                subfolders[:] = sorted(s for s in subfolders if not s.startswith("."))
    return sorted(set(found))


def read(folder):
    """The Run in `folder`: its hparams.json, row, state and steps."""
    try:
        saved = json.loads((folder / "hparams.json").read_text())
    except ValueError:
        raise cli.UserError(f"{folder}/hparams.json is not valid JSON.") from None
    missing = [k for k in ("model", "framework", "seed") if k not in saved]
    if missing:
        raise cli.UserError(
            f"{folder}/hparams.json has no {missing[0]}; it is not a run folder of this archive."
        )
    in_layout = folder.parent.name in row_table.FRAMEWORKS
    if in_layout and folder.parent.name != saved["framework"]:
        raise cli.UserError(
            f"{folder} sits in a {folder.parent.name} folder but holds a "
            f"{saved['framework']} run; move it to its framework's "
            "folder."
        )
    row = folder.parent.parent.name if in_layout else saved["model"]
    state, detail = planning.state_of(folder, saved["framework"])
    steps = None
    if state == "done":
        text = (folder / "checkpoints" / "finished").read_text().strip()
        steps = int(text) if text.isdigit() else None
    elif state == "stopped":
        detail = detail.removeprefix("exit 2: ").removeprefix("error: ")
    elif state == "interrupted":
        step = planning.checkpoint_step(folder, saved["framework"])
        detail = f"interrupted; its last checkpoint is after step {step}"
    return Run(folder, saved, row, state, detail, steps)


def _same(a, b):
    if str(a) == str(b):
        return True
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return False


def _refuse(row, a, b, fields):
    (field, left, right), more = fields[0], [f for f, _, _ in fields[1:]]
    extra = f", and in {', '.join(more)}" if more else ""
    raise cli.UserError(
        f"cannot merge {a} and {b} into row {row}: they differ in {field} "
        f"({left} against {right}){extra}; give each setting a row folder of "
        "its own."
    )


def _differences(a, b):
    return [
        (k, a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if not _same(a.get(k), b.get(k))
    ]


def switches(run):
    entries = machine_entries(run.folder)
    return sorted(entries[-1]["machine"].get("switches", [])) if entries else None


def check(row_name, runs, spec):
    """Refuse (one sentence) runs that do not belong in one row; returns nothing."""
    for framework in row_table.FRAMEWORKS:
        mine = [r for r in runs if r.framework == framework]
        for other in mine[1:]:
            differ = _differences(mine[0].key(), other.key())
            if differ:
                _refuse(row_name, mine[0].folder, other.folder, differ)
    firsts = [
        next(r for r in runs if r.framework == f)
        for f in row_table.FRAMEWORKS
        if any(r.framework == f for r in runs)
    ]
    if len(firsts) == 2:
        a, b = (r.key(cross=True) for r in firsts)
        shared = set(a) & set(b)
        differ = _differences({k: a[k] for k in shared}, {k: b[k] for k in shared})
        if differ:
            _refuse(row_name, firsts[0].folder, firsts[1].folder, differ)
    done = [r for r in runs if r.steps is not None]
    for other in done[1:]:
        if other.steps != done[0].steps:
            _refuse(
                row_name,
                done[0].folder,
                other.folder,
                [("steps finished", done[0].steps, other.steps)],
            )
    recorded = [r for r in runs if switches(r) is not None]
    for other in recorded[1:]:
        if switches(other) != switches(recorded[0]):
            _refuse(
                row_name,
                recorded[0].folder,
                other.folder,
                [
                    (
                        "kernel switches",
                        " ".join(switches(recorded[0])) or "none",
                        " ".join(switches(other)) or "none",
                    )
                ],
            )
    check_init(row_name, runs, spec)
    if spec is None:
        return
    for run in runs:
        if run.saved["model"] != spec.model:
            raise cli.UserError(
                f"{run.folder} holds a {run.saved['model']} run, but row "
                f"{row_name} is {spec.model}; move it out of the row's "
                "folder."
            )
        for field, value in row_table.expected_fields(spec).items():
            # Flags that hparams.json does not record (--checkpoint-every) cannot be checked.
            if field in run.saved and not _same(run.saved[field], value):
                raise cli.UserError(
                    f"{run.folder} does not belong in row {row_name}: its "
                    f"{field} is {run.saved.get(field)}, the row's is {value}; "
                    "move it to a row folder of its own."
                )


def init_name(row_name, seed):
    """The tail of the path a paired row's run at `seed` starts from: <row>/init/seed-<S>.npz."""
    return (row_name, planning.INIT, f"seed-{seed}.npz")


def check_init(row_name, runs, spec):
    """Refuse (one sentence) a paired row's run that did not start from the row's initial
    weights for its seed, an unpaired row's run that did not start from its own draws, and,
    outside the table, a row mixing the two."""
    if spec is None:
        given = [r for r in runs if r.saved.get("init_weights")]
        if given and len(given) < len(runs):
            plain = next(r for r in runs if not r.saved.get("init_weights"))
            raise cli.UserError(
                f"cannot merge {given[0].folder} and {plain.folder} into row {row_name}: the "
                "first started from given initial weights and the second from its own draws; "
                "give each setting a row folder of its own."
            )
        return
    for run in runs:
        path = run.saved.get("init_weights")
        if not spec.paired:
            if path:
                raise cli.UserError(
                    f"{run.folder} started from the initial weights in {path}, but row "
                    f"{row_name} is not paired, so its runs start from their own draws; move "
                    "it to a paired row's folder."
                )
            continue
        expected = "/".join(init_name(row_name, run.seed))
        if not path:
            raise cli.UserError(
                f"{run.folder} does not belong in paired row {row_name}: its hparams.json "
                f"records no init_weights, so it did not start from {expected}; run the "
                "commands of python -m results plan, which start it from there."
            )
        if pathlib.PurePath(path).parts[-3:] != init_name(row_name, run.seed):
            raise cli.UserError(
                f"{run.folder} does not belong in paired row {row_name}: it started from "
                f"{path}, not from the row's {expected}; run the commands of python -m "
                "results plan, which start it from there."
            )


# The machine.


def machine_entries(folder):
    path = pathlib.Path(folder) / planning.MACHINE
    if not path.is_file():
        return []
    try:
        return json.loads(path.read_text())
    except ValueError:
        raise cli.UserError(f"{path} is not valid JSON.") from None


def event_host(folder):
    """The host a run's TensorBoard file names (TF and torch put it after the time)."""
    for path in sorted(pathlib.Path(folder).glob("events.out.tfevents.*")):
        rest = path.name[len("events.out.tfevents.") :].split(".", 1)
        if len(rest) == 2:
            return re.sub(r"\.\d+\.\d+$", "", rest[1])  # torch adds .<pid>.<count>
    return None


_LABELS = {}


def label_here(kernel_path):
    """This machine's label under `kernel_path`, measured in a child process (as run does)."""
    if kernel_path not in _LABELS:
        _LABELS[kernel_path] = planning.machine_records([kernel_path])[kernel_path][0]
    return _LABELS[kernel_path]


def machine_of(run, kernel_path):
    """(label, host, how it is known) of the machine a run came from."""
    entries = machine_entries(run.folder)
    if entries:
        labels = list(dict.fromkeys(e["label"] for e in entries))
        hosts = list(dict.fromkeys(e.get("host", "?") for e in entries))
        return " then ".join(labels), ", ".join(hosts), "machine.json"
    host = event_host(run.folder)
    if host == socket.gethostname():
        return label_here(kernel_path), host, "merge"
    return f"not recorded (host {host or 'unknown'})", host or "unknown", "none"


def finished_date(run):
    mark = {
        "done": run.folder / "checkpoints" / "finished",
        "stopped": run.folder / planning.STOPPED,
    }.get(run.state)
    if mark is None:
        return None
    stamp = datetime.datetime.fromtimestamp(mark.stat().st_mtime, datetime.timezone.utc)
    return stamp.strftime("%Y-%m-%d")


def elapsed(run):
    """Wall seconds from hparams.json to the finished mark (interruptions included)."""
    if run.state != "done":
        return None
    end = (run.folder / "checkpoints" / "finished").stat().st_mtime
    return round(end - (run.folder / "hparams.json").stat().st_mtime)


# Pictures.


def small_png(source, destination, max_width=480):
    """A copy of a PNG (a path or a uint8 array) in few bytes: 16 grey levels or colours, at
    most `max_width` pixels wide."""
    from PIL import Image

    image = Image.fromarray(source) if isinstance(source, np.ndarray) else Image.open(source)
    rgb = np.asarray(image.convert("RGB"))
    grey = bool((rgb[..., 0] == rgb[..., 1]).all() and (rgb[..., 1] == rgb[..., 2]).all())
    image = image.convert("L" if grey else "RGB")
    if image.width > max_width:
        size = (max_width, round(image.height * max_width / image.width))
        image = image.resize(size, Image.LANCZOS)
    image = image.quantize(colors=16)
    destination.parent.mkdir(parents=True, exist_ok=True)
    run_folder.atomic_write(destination, lambda p: image.save(p, format="png", optimize=True))
    return destination


def copy_pictures(run, patterns, pictures, link):
    """The run's files matching `patterns`, copied small; returns their links."""
    copied = []
    for pattern in patterns:
        for path in sorted(run.folder.glob(pattern)):
            name = f"{run.framework}-seed-{run.seed}-{path.name.lstrip('_')}"
            small_png(path, pictures / name)
            copied.append(f"{link}/{name}")
    return copied


# Per-model summaries.


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


def ring_run(run, record):
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


def ring_summary(records):
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
    return summary


def spread(values):
    values = np.asarray(values, dtype=np.float64)
    return [float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0]


def mnist_summary(records):
    summary = {}
    for framework in row_table.FRAMEWORKS:
        counted = [
            r for r in records if r["framework"] == framework and r["state"] in ("done", "stopped")
        ]
        if not counted:
            continue
        scored = [r["quality"] for r in counted if "quality" in r]
        summary[framework] = {
            "counted": len(counted),
            "scored": len(scored),
            **{f: spread([q[f] for q in scored]) if scored else None for f in page.FIGURES},
        }
    return summary


def paired_figures(model, record):
    """{figure: value} that a paired row compares, of a done (and scored) run, or None."""
    if record["state"] != "done":
        return None
    if model == "ring_gan":
        last = record["coverage"][-1] if record.get("coverage") else None
        return {f: last[f] for f in RING_FIGURES} if last else None
    quality = record.get("quality")
    return {f: quality[f] for f in page.FIGURES} if quality else None


def deviation(values):
    """The sample standard deviation, or None for fewer than two values."""
    return float(np.std(values, ddof=1)) if len(values) > 1 else None


def paired_summary(model, records, seeds, unpaired=()):
    """Per seed, each framework's figures and the difference port - reference; per figure, the
    mean and mean absolute difference over the seeds where both runs have figures, beside each
    framework's sample deviation across those seeds; `unpaired`: rows to compare with."""
    names = RING_FIGURES if model == "ring_gan" else page.FIGURES
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


def loss_lines(run):
    path = run.folder / "loss.txt"
    found = (LOSS_LINE.match(x) for x in path.read_text().splitlines()) if path.is_file() else ()
    return {int(m.group(1)): [float(m.group(3)), float(m.group(4))] for m in found if m}


def cost_lines(run):
    path = run.folder / "log.txt"
    lines = path.read_text().splitlines() if path.is_file() else []
    return [x for x in lines if COST_LINE.match(x)]


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


def merge_row(name, runs, spec, scorer, pictures, link, log, table=()):
    """The JSON-able summary of one row (pictures written under `pictures`); `table`: the rows
    a paired row points to."""
    model = runs[0].saved["model"]
    kernel_path = spec.cpu_path if spec else "native"
    if pictures.exists():
        shutil.rmtree(pictures)
    pictures.mkdir(parents=True)
    records = []
    for run in runs:
        label, host, source = machine_of(run, kernel_path)
        record = {
            "framework": run.framework,
            "seed": run.seed,
            "folder": str(run.folder),
            "state": run.state,
            "detail": run.detail,
            "steps": run.steps,
            "date": finished_date(run),
            "elapsed_s": elapsed(run),
            "machine": label,
            "host": host,
            "machine_source": source,
        }
        if model == "ring_gan":
            ring_run(run, record)
        if registry.check(model).mnist and run.state == "done":
            log(f"merge: scoring {name} {run.framework} seed {run.seed}")
            figures, images = scorer.score(run.folder, run.saved)
            record["quality"] = figures
            from figures import image_grid

            grid = np.floor(image_grid.tile(images[:100], nrow=10) * 255 + 0.5).astype(np.uint8)
            grid_name = f"{run.framework}-seed-{run.seed}-digits.png"
            small_png(grid, pictures / grid_name)
            record["grid"] = f"{link}/{grid_name}"
        if run.state == "done" and spec is not None:
            record["pictures"] = copy_pictures(run, spec.pictures, pictures, link)
            if "lyeoni-losses" in spec.extras:
                record["losses"] = loss_lines(run)
            if "cost-lines" in spec.extras:
                record["cost_lines"] = cost_lines(run)
            if "coverage-curve" in spec.extras:
                from figures import ring as ring_figures

                figure = ring_figures.coverage_plot(coverage_records(run))
                curve = pictures / f"{run.framework}-seed-{run.seed}-coverage.png"
                curve.parent.mkdir(parents=True, exist_ok=True)
                run_folder.atomic_write(curve, lambda p: figure.savefig(p, format="png", dpi=80))
                small_png(curve, curve)
                record["curve"] = f"{link}/{curve.name}"
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
    if model == "ring_gan":
        result["ring"] = ring_summary(records)
    if registry.check(model).mnist and scorer is not None:
        result["quality"] = mnist_summary(records)
        result["lines"] = scorer.lines
        result["samples"] = scorer.samples
        result["classifier"] = scorer.classifier
    paired = spec.paired if spec else all(r.saved.get("init_weights") for r in runs)
    if paired:
        unpaired = unpaired_rows(spec, table) if spec else ()
        result["paired"] = paired_summary(model, records, result["seeds"], unpaired)
    return result


# Writing.


def merge(paths, table, scorer_factory, out=None, docs=None, log=print):
    """Merge the runs under `paths`; returns the list of row summaries."""
    runs = [read(folder) for folder in find(paths)]
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
        check(name, members, spec)
    scorer = None
    if any(
        registry.check(m[0].saved["model"]).mnist and any(r.state == "done" for r in m)
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
