"""The report's three pictures of a model: parity per step, last pictures, loss curves.

`draw` reads what the cross-checks returned and what the two short runs wrote (their pictures
by the glob, their losses by the metrics.jsonl keys that the model's registry row names) and
saves `<model>_parity.png`, `<model>_samples.png` and `<model>_losses.png` in the report folder.
"""

import glob
import json
import pathlib

import imageio.v2 as imageio

from harness import run_folder
from report import checks


def read_metrics(run):
    path = pathlib.Path(run) / "metrics.jsonl"
    if not path.is_file():  # A run that stopped before it logged anything.
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def last_picture(run, pattern):
    """The last picture (in name order) matching `pattern` in the run folder, or None."""
    found = sorted(glob.glob(str(pathlib.Path(run) / pattern)))
    return found[-1] if found else None


def draw(report, plan, folder):
    """Write the model's three pictures into `folder`; record their names in `report`."""
    from figures import report as report_figures

    model = report.model
    curves = []
    for setting, result in report.checks.items():
        values = [s["variables"] for s in result.per_step]
        floor = [s["floor"] for s in result.per_step] if setting[1] == "tf" else None
        curves.append((checks.SETTING_LABELS[setting], values, floor))
    _save(
        report_figures.parity_curves(curves, title=f"{model}: |TF - PyTorch| per step"),
        folder / f"{model}_parity.png",
    )
    report.pictures["parity"] = f"{model}_parity.png"
    if not report.runs:
        return
    images = []
    for framework in ("tf1", "pytorch"):
        path = last_picture(report.runs[framework], plan.picture)
        images.append(None if path is None else imageio.imread(path))
        report.pictures[f"{framework} picture"] = path
    _save(report_figures.side_by_side(*images), folder / f"{model}_samples.png")
    report.pictures["samples"] = f"{model}_samples.png"
    series = []
    for framework in ("tf1", "pytorch"):
        records = [r for r in read_metrics(report.runs[framework]) if plan.x_key in r]
        for key in plan.loss_keys:
            points = sorted(
                {r[plan.x_key]: r[key] for r in records if r.get(key) is not None}.items()
            )  # noqa: E501
            series.append((framework, key, [p[0] for p in points], [p[1] for p in points]))
    _save(
        report_figures.loss_curves(series, plan.x_key, title=f"{model}: short runs, same seed"),
        folder / f"{model}_losses.png",
    )
    report.pictures["losses"] = f"{model}_losses.png"


def _save(figure, path):
    run_folder.atomic_write(path, lambda p: figure.savefig(p, format="png", dpi=100))
