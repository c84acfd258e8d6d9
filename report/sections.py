"""The report's text: the summary table, one section per model, the quality line, report.md.

Everything here is written from the ModelReports that report/comparison.py fills (the checks'
Results, the short runs' folders, the pictures' names); nothing runs a model.
"""

import datetime
import os
import time

from harness import cpu, run_folder
from report import checks, pictures


def summary_table(reports):
    """The summary: per model, max |difference| over all variables in each setting, verdicts."""
    lines = [
        "| model | "
        + " | ".join(checks.SETTING_LABELS[s] for s in checks.SETTINGS)
        + " | short runs, last losses (TF1 / PyTorch) |",  # noqa: E501
        "|---|" + "---|" * (len(checks.SETTINGS) + 1),
    ]
    for report in reports:
        if report.skipped:
            lines.append(
                f"| `{report.model}` | "
                + " | ".join("skipped" for _ in checks.SETTINGS)
                + f" | skipped: {report.skipped.split(' (')[0]} |"
            )
            continue
        cells = []
        for setting in checks.SETTINGS:
            row = checks.check_rows(report.checks[setting])
            cells.append(f"{row['variables']:.1e} {row['verdict']}")
        stopped = f" (stopped itself: {', '.join(report.stopped)})" if report.stopped else ""
        cells.append((last_losses(report) if report.runs else "-") + stopped)
        lines.append(f"| `{report.model}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def last_losses(report):
    plan = report.plan
    parts = []
    for key in plan.loss_keys:
        values = []
        for framework in ("tf1", "pytorch"):
            records = [
                r for r in pictures.read_metrics(report.runs[framework]) if r.get(key) is not None
            ]
            values.append(f"{records[-1][key]:.3f}" if records else "-")
        parts.append(f"{key} {values[0]} / {values[1]}")
    return ", ".join(parts)


def model_section(report):
    lines = [f"## `{report.model}`", ""]
    if report.skipped:
        return lines + [f"Skipped: {report.skipped}.", ""]
    steps = next(iter(report.checks.values())).steps
    lines += [
        f"Cross-check over {steps} steps from one seed (max |TF - PyTorch|; 'before' = losses "
        "and gradients of step 1 before any update; 'floor' = TF against itself after one "
        "weight is moved by one ulp):",
        "",
        "| steps | dtype | Adam on the PyTorch side | before | losses | variables | floor | tolerance | verdict |",  # noqa: E501
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for setting in checks.SETTINGS:
        result, row = report.checks[setting], checks.check_rows(report.checks[setting])
        adam = "TF-exact" if result.adam == "tf" else "torch.optim.Adam"
        floor = f"{row['floor']:.1e}" if result.adam == "tf" else "-"
        lines.append(
            f"| {result.steps} | {result.dtype} | {adam} | {row['before']:.1e} | "
            f"{row['losses']:.1e} | {row['variables']:.1e} | {floor} | "
            f"{row['tolerance']} | {row['verdict']} |"
        )
    lines += ["", f"![|TF - PyTorch| per step]({report.pictures['parity']})", ""]
    if report.runs:
        argv = " ".join(report.plan.tf1_argv) or "(no flags: the original's full run)"
        lines += [
            f"Short runs, same seed, `{argv}`: the last picture each framework drew "
            f"(TF1 left, PyTorch right), and both loss curves.",
            "",
            f"![last pictures side by side]({report.pictures['samples']})",
            f"![loss curves]({report.pictures['losses']})",
            "",
        ]
        for framework, sentence in report.stopped.items():
            lines += [f"The {framework} run stopped itself: {sentence}", ""]
    timing = ", ".join(f"{part} {seconds:.0f} s" for part, seconds in report.seconds.items())
    return lines + [f"Wall time: {timing}.", ""]


def quality_section(quality):
    if quality is None:
        return []
    if "skipped" in quality:
        return ["## Sample quality (MNIST)", "", f"Skipped: {quality['skipped']}.", ""]
    real = quality["real"]
    return [
        "## Sample quality (MNIST): the reference line",
        "",
        f"The archive's classifier ({quality['classifier']['test_accuracy'] * 100:.2f}% test "
        f"accuracy, weights `{quality['classifier']['path']}`) on real images, the ceiling "
        "that generated digits are measured against (`python -m results merge` "
        "measures the models):",
        "",
        "| images | Inception Score (max 10) | Frechet distance to the test set | classes with >= 5% |",  # noqa: E501
        "|---|---|---|---|",
        f"| the 10,000 test images | {real['test']['inception_score']:.2f} | 0 (by definition) | "
        f"{real['test']['classes']} |",
        f"| 10,000 training images | {real['train']['inception_score']:.2f} | "
        f"{real['train']['frechet_distance']:.3f} | {real['train']['classes']} |",
        "",
    ]


def write_report(folder, reports, quality, budget, seed, started):
    lines = [
        "# TF1 references and PyTorch ports, compared",
        "",
        f"Written {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC by "
        f"`python -m report --budget {budget} --seed {seed}` in "
        f"{time.time() - started:.0f} s on {cpu.label()} (load average at the end "
        f"{os.getloadavg()[0]:.1f}).",
        "",
        "## Summary: max |TF - PyTorch| over every variable, all steps",
        "",
        summary_table(reports),
        "",
        "PASS/FAIL is the engine's verdict: with TF-exact Adam the tolerance (1e-12 in float64, "
        "1e-5 in float32) holds while TF's own one-ulp drift stays ten times below it, and the "
        "port must stay within 100x of that drift after. A step past the tolerance before that "
        "is explained, and ends the judged window, only when a (leaky) ReLU input had opposite "
        "signs in the two frameworks at that step, within rounding of zero (a kink flip: the "
        "two then follow different branches); any flip farther from zero fails. With "
        "torch.optim.Adam the differences come from where epsilon is added and are reported, "
        "not judged. These figures depend on the CPU's kernels (see the line above).",
        "",
    ]
    for report in reports:
        lines += model_section(report)
    lines += quality_section(quality)
    text = "\n".join(lines)
    run_folder.atomic_write(folder / "report.md", lambda p: p.write_text(text))
    return text
