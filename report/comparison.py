"""The comparison report: every model's step-by-step cross-check and short runs, in one folder.

For each model it runs the cross-check (crosscheck/engine.py) in three settings (float64 with
TF-exact Adam, float32 with TF-exact Adam, float32 with the port's own torch.optim.Adam) over
the same steps, trains the TF1 reference and the PyTorch port briefly through their own
commands (`main(argv)`, same seed), and writes `report.md` with, per model, the table of the
three settings, a log-scale plot of |TF - PyTorch| per step, the last pictures of the two
runs side by side and both loss curves on one plot. For the MNIST models it adds the sample-
quality reference line of the real test set (quality/). A model whose MNIST files are missing
is reported as skipped, with the reason, and the others still run.

Run:
    python -m report                          # the demo budget, into runs/report/<time>
    python -m report --budget tiny --out /tmp/r   # a few steps per model (CI)
    python -m report gaussian_gan ring_gan    # some models only

The package, by role: this file runs the models (each one's budget, what its runs write and
whether it reads MNIST come from its registry row); checks.py the three cross-check settings,
pictures.py the three pictures of a model, sections.py the text of report.md.
"""

import dataclasses
import datetime
import json
import pathlib
import sys
import time

from harness import cli, registry, run_folder
from report import checks, pictures, sections

# The budgets: which field of a model's registry row each one reads. demo: all six models and
# the classifier's first training in under 10 minutes on 2 idle cores (measured on the AVX-512
# and, through harness.cpu's switches, the AVX2 paths); tiny: a few steps each, only to prove
# that every part of the report is made (CI).
BUDGETS = {"demo": "report_demo", "tiny": "report_tiny"}


@dataclasses.dataclass(frozen=True)
class Plan:
    """How one model is checked and briefly trained under one budget."""

    steps: int  # Cross-check steps, the same in all three settings.
    tf1_argv: tuple  # Flags of the short TF1 run (the port gets the same ones).
    picture: str  # Glob of the pictures the run writes; the last one is shown.
    x_key: str  # metrics.jsonl key of the x axis of the loss curves.
    loss_keys: tuple  # metrics.jsonl keys of the losses to draw.
    port_argv: tuple = None  # The port's flags when they differ from tf1_argv.


def plan(model, budget):
    """The Plan of `model` under `budget` ("demo" or "tiny"), from its registry row."""
    row = registry.check(model)
    given, outputs = getattr(row, BUDGETS[budget]), row.outputs
    return Plan(
        given.steps,
        tuple(given.argv),
        outputs.picture,
        outputs.x_key,
        tuple(outputs.loss_keys),
        given.port_argv,
    )


@dataclasses.dataclass
class ModelReport:
    """What the report says about one model."""

    model: str
    plan: Plan = None  # What was run.
    skipped: str = None  # The reason, when the model could not run.
    checks: dict = dataclasses.field(default_factory=dict)  # (dtype, adam) -> engine.Result
    runs: dict = dataclasses.field(default_factory=dict)  # framework -> run folder
    stopped: dict = dataclasses.field(default_factory=dict)  # framework -> the run's own error
    pictures: dict = dataclasses.field(default_factory=dict)  # kind -> file name in the report
    seconds: dict = dataclasses.field(default_factory=dict)  # part -> wall seconds


def mnist_missing(data_dir=None):
    """None when the four MNIST files can be read, else the one-sentence reason."""
    from inputs import mnist

    try:
        mnist.read_raw(data_dir, download=False)
    except mnist.MnistFileError as error:
        return f"MNIST files not available ({error}); set MNIST_DATA_DIR or run a MNIST model once to download them"  # noqa: E501
    return None


def run_trainings(model, plan, seed, folder, log, stopped):
    """The short TF1 and PyTorch runs through their own commands; returns {framework: folder}.

    A run that stops itself (a NaN or infinite loss: the originals' raw logs can get there) is
    a result, not a failure of the report: its sentence goes into `stopped` and the pictures
    and losses drawn until then are used.
    """
    import torch  # Only here: the report reads its flags before PyTorch and TF load.

    runs = {}
    for framework, argv in (("tf1", plan.tf1_argv), ("pytorch", plan.port_argv or plan.tf1_argv)):
        out = folder / "runs" / model / framework
        log(f"== {model}: short {framework} run {' '.join(argv) or '(the original full run)'}")
        module = registry.module(model, framework)
        threads = torch.get_num_threads()  # A port's main() sets its own (its row's threads);
        try:  # later models' checks must not depend on which model ran before them.
            module.main([*argv, "--seed", str(seed), "--out", str(out)])
        except cli.UserError as error:
            log(f"== {model}: the {framework} run stopped: {error}")
            stopped[framework] = str(error)
        finally:
            torch.set_num_threads(threads)
        runs[framework] = out
    return runs


def reference_quality(data_dir=None, log=print):
    """The quality figures of real MNIST images: the report's reference line."""
    import numpy as np

    from inputs import mnist
    from quality import classifier, metrics

    model, record = classifier.load(data_dir=data_dir, log=log)
    raw = mnist.read_raw(data_dir, download=False)
    reference = metrics.reference_statistics(model, raw.test_images)
    subset = np.random.default_rng(0).choice(len(raw.train_images), metrics.SAMPLES, replace=False)
    return {
        "classifier": record,
        "real": {
            "test": dataclasses.asdict(metrics.evaluate(model, raw.test_images, reference)),
            "train": dataclasses.asdict(
                metrics.evaluate(model, raw.train_images[subset], reference)
            ),  # noqa: E501
        },
    }


def build(folder, models=None, budget="demo", seed=0, quality=True, train=True, log=print):
    """Run everything and write `folder`/report.md and its pictures; returns the ModelReports.

    `models`: names from harness/registry/ (default: all of them)."""
    started = time.time()
    models = registry.NAMES if models is None else models
    reading = [model for model in models if registry.check(model).mnist]
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    missing = mnist_missing() if reading else None
    reports = []
    for model in models:
        report = ModelReport(model, plan(model, budget))
        reports.append(report)
        if model in reading and missing:
            report.skipped = missing
            log(f"== {model}: skipped, {missing}")
            continue
        began = time.time()
        report.checks = checks.run_checks(model, report.plan.steps, seed, log)
        report.seconds["cross-check"] = time.time() - began
        if train:
            began = time.time()
            report.runs = run_trainings(model, report.plan, seed, folder, log, report.stopped)
            report.seconds["short runs"] = time.time() - began
        pictures.draw(report, report.plan, folder)
    quality_figures = None
    if quality and reading:
        if missing:
            quality_figures = {"skipped": missing}
        else:
            log("== sample quality: the classifier on real MNIST images")
            quality_figures = reference_quality(log=log)
        run_folder.atomic_write(
            folder / "quality.json", lambda p: p.write_text(json.dumps(quality_figures, indent=1))
        )
    sections.write_report(folder, reports, quality_figures, budget, seed, started)
    return reports, quality_figures


def parser():
    result = cli.ArgumentParser(
        prog="python -m report",
        description="Cross-check every model in three settings, train each framework briefly, "
        "and write one report folder (report.md and its pictures).",
    )
    result.add_argument(
        "models",
        nargs="*",
        default=[],
        metavar="MODEL",
        help=f"models to include (default: all of {', '.join(registry.NAMES)})",
    )
    result.add_argument(
        "--budget",
        choices=tuple(BUDGETS),
        default="demo",
        help="demo: 20-250 cross-check steps and short runs per model (minutes); "
        "tiny: a few steps each, for tests (default: demo)",
    )
    result.add_argument(
        "--seed", type=int, default=0, help="seed of every check and run (default 0)"
    )  # noqa: E501
    result.add_argument(
        "--out", default=None, help="report folder (default: runs/report/<UTC time>)"
    )  # noqa: E501
    result.add_argument(
        "--no-quality",
        action="store_true",
        help="leave out the sample-quality reference line (no classifier)",
    )
    result.add_argument(
        "--no-train", action="store_true", help="cross-checks only, no short training runs"
    )
    return result


def main(argv=None):
    args = parser().parse_args(argv)
    for model in args.models:
        registry.check(model)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    folder = pathlib.Path(args.out or pathlib.Path("runs") / "report" / stamp)
    if (folder / "report.md").exists() or (folder / "runs").exists():
        # Checked before anything runs: the short runs would each refuse the folder later.
        raise cli.UserError(f"{folder} already holds a report or its runs; choose another --out.")
    models = args.models or list(registry.NAMES)
    reports, _ = build(
        folder,
        models,
        args.budget,
        args.seed,
        quality=not args.no_quality,
        train=not args.no_train,
        log=lambda text: print(text, flush=True),
    )
    print()
    print(sections.summary_table(reports))
    print(f"\nReport: {folder / 'report.md'}")
    failed = [
        f"{r.model} ({checks.SETTING_LABELS[s]})"
        for r in reports
        if not r.skipped
        for s, result in r.checks.items()
        if not result.passed
    ]
    if failed:
        # Reported, not an error: ring_gan's float32 check fails by a measured cause (README).
        print(f"Settings over their tolerance: {', '.join(failed)}; see the report.")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
