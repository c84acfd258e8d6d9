"""The archive's main job on its embedded default: train each model in both frameworks, cross-check.

For every model that needs no download it trains the TF1 reference and the PyTorch port with
the same seed (the original's full run), writes their run folders under runs/, cross-checks
the pair step by step in three settings, and prints one summary table.

Source: the archive's own; the models are those of crosscheck.MODELS.

Run:
    make demo                                   # or: python -m crosscheck.demo  (a few minutes)
    python -m crosscheck.demo --seed 3 gaussian_cgan

Deviations: none (a project tool; each model's own deviations are in its module docstring).
"""

import datetime
import importlib
import json
import pathlib
import sys

from harness import cli

# Models the demo trains (no download needed), with the flags of their demo run.
DEMO_RUNS = {
    "gaussian_gan": [],  # The original's full run: 10 epochs x 250 steps.
    "gaussian_cgan": [],  # The original's full run: 10 epochs x 250 steps.
}
# The three cross-check settings: (dtype, Adam on the PyTorch side, steps).
SETTINGS = [("float64", "tf", 250), ("float32", "tf", 250), ("float32", "torch", 10)]


def parser():
    result = cli.ArgumentParser(
        prog="python -m crosscheck.demo",
        description="Train each model in both frameworks, cross-check them, print a summary.",
    )
    result.add_argument(
        "models",
        nargs="*",
        default=[],
        metavar="MODEL",
        help=f"models to run (default: all of {list(DEMO_RUNS)})",
    )
    result.add_argument("--seed", type=int, default=0, help="seed of every run (default 0)")
    result.add_argument(
        "--out", default=None, help="folder for the runs (default: runs/demo/<UTC time>)"
    )
    return result  # fmt: skip


def last_metrics(folder):
    lines = (pathlib.Path(folder) / "metrics.jsonl").read_text().splitlines()
    return json.loads(lines[-1])


def main(argv=None):
    args = parser().parse_args(argv)
    unknown = [m for m in args.models if m not in DEMO_RUNS]
    if unknown:
        raise cli.UserError(f"unknown model {unknown[0]!r}; choose from {', '.join(DEMO_RUNS)}.")
    models = args.models or list(DEMO_RUNS)
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    root = pathlib.Path(args.out or pathlib.Path("runs") / "demo" / stamp)
    from crosscheck import engine  # TensorFlow and PyTorch load only after the flags are read.

    rows = []
    for model in models:
        row = {"model": model}
        for framework, package in (("tf1", "tf1_reference"), ("pytorch", "ports")):
            folder = root / model / framework
            print(f"== {model}: training the {framework} version into {folder}", flush=True)
            module = importlib.import_module(f"{package}.{model}")
            module.main([*DEMO_RUNS[model], "--seed", str(args.seed), "--out", str(folder)])
            row[framework] = last_metrics(folder)
        case = importlib.import_module(f"crosscheck.{model}").CASE
        for dtype, adam, steps in SETTINGS:
            print(f"== {model}: cross-check, {steps} steps, {dtype}, {adam} Adam", flush=True)
            result = engine.run(case, steps, dtype=dtype, adam=adam, seed=args.seed)
            row[(dtype, adam)] = (max(s["variables"] for s in result.per_step), result.passed)
        rows.append(row)
    print(summary(rows, root))


def summary(rows, root):
    lines = [
        "",
        "Summary: final epoch of each run; cross-check = max |TF - PyTorch| over all variables",
        f"{'model':<15} {'D acc tf1':>9} {'D acc pt':>9} {'loss tf1':>9} {'loss pt':>9}"
        f" {'f64 TF-Adam':>12} {'f32 TF-Adam':>12} {'f32 own Adam':>13}",
    ]
    for row in rows:
        checks = []
        for dtype, adam, steps in SETTINGS:
            value, passed = row[(dtype, adam)]
            checks.append(f"{value:.1e} {'ok' if passed else 'FAIL'}")
        lines.append(
            f"{row['model']:<15} {row['tf1']['accuracy']:>9.3f} {row['pytorch']['accuracy']:>9.3f}"
            f" {row['tf1']['loss_D']:>9.4f} {row['pytorch']['loss_D']:>9.4f}"
            f" {checks[0]:>12} {checks[1]:>12} {checks[2]:>13}"
        )
    lines.append("The tutorial's target: accuracy 0.5 and loss 2 ln 2 = 1.386 (originals.md 7).")
    lines.append(f"Runs, logs and pictures: {root}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(cli.run(main))
