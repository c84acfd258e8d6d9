"""The cross-check table of docs/crosscheck.md, measured on this machine and written per CPU.

Every model in three settings (float64 with TF-exact Adam, float32 with TF-exact Adam, float32
with the port's own Adam) over the steps the docs quote (each registry row's crosscheck_steps:
one epoch of the toys, 500 ring steps, 100 MNIST batches, DCGAN 20), from seed 0. One run
writes one JSON file named after the machine and its kernel paths (harness/cpu.py); `--docs`
turns every JSON file in the folder into the tables of docs/crosscheck.md, one column group per
machine, so the figures of two CPU kinds stand side by side and each names where it came from.

Run:
    python -m report.measure                          # this CPU (about 5 minutes on 2 cores)
    python -m harness.cpu --path avx2 -- python -m report.measure   # the AVX2 kind's paths
    python -m report.measure --docs                   # rewrite docs/crosscheck.md's tables

Deviations: none (a project tool).
"""

import argparse
import json
import pathlib
import re
import sys

from harness import cli, cpu, registry, run_folder
from report import checks

FOLDER = pathlib.Path("docs") / "measurements"
DOC = pathlib.Path("docs") / "crosscheck.md"
# 2: kinks in every pass of every sub-step, read in the training session; step 1 from a dry pass.
METHOD = 2
BEGIN, END = "<!-- report.measure: begin -->", "<!-- report.measure: end -->"


def measure(models):
    """{model: {setting: summary}} for `models` (each over its registry row's crosscheck_steps),
    on this machine."""
    from crosscheck import engine

    table = {}
    for model in models:
        case, steps = registry.case(model), registry.check(model).crosscheck_steps
        table[model] = {}
        for dtype, adam in checks.SETTINGS:
            result = engine.run(case, steps, dtype=dtype, adam=adam, seed=0)
            per_step = result.per_step
            table[model][f"{dtype}/{adam}"] = {
                "steps": result.steps,
                "passed": result.passed,
                "before": max(result.before_update.values()),
                "variables": max(s["variables"] for s in per_step),
                "first_step": per_step[0]["variables"],
                "floor": max((s.get("floor", 0.0) for s in per_step), default=0.0),
                "kink_step": result.kink_step,
                "window": _window(result),
            }
            print(f"{model} {dtype}/{adam}: {table[model][f'{dtype}/{adam}']}", file=sys.stderr)
    return table


def _window(result):
    """How many steps the tolerance judged (the rows' "first N steps"), None for all or none."""
    for quantity, *_ in result.rows:
        found = re.match(r"variables \((?:first |steps 1-)(\d+)(?: steps)?\)", quantity)
        if found:
            return int(found.group(1))
    return None


def slug(label):
    return cpu.slug(label)


def cell(record, setting):
    value = record[setting]
    text = f"{value['variables']:.1e}"
    if setting.endswith("/torch"):
        return f"{value['first_step']:.1e} after step 1, {text} at {value['steps']}"
    steps = f"{value['window']} step{'s' if value['window'] != 1 else ''}"
    if value["kink_step"] and value["window"] and value["kink_step"] > value["window"] + 1:
        text += (
            f" ({steps} within tolerance, then the floor rule, then a kink flip at step "
            f"{value['kink_step']})"
        )
    elif value["kink_step"]:
        text += f" ({steps} within tolerance, then a kink flip at step {value['kink_step']})"
    elif value["window"]:
        text += f" ({steps} within tolerance, then the floor rule)"
    return text + ("" if value["passed"] else " **FAIL**")


def tables(records):
    """Markdown: per machine, one row per model."""
    lines = []
    for record in records:
        earlier = (
            " Measured with the earlier check, which read kink inputs once per step, in D's "
            "forward before the D step, from a second session."
            if record.get("method", 1) < METHOD
            else ""
        )
        lines += [
            f"**{record['label']}** (`{record['command']}`):{earlier}",
            "",
            "| model | steps | float64, TF-exact Adam | float32, TF-exact Adam | "
            "float32, `torch.optim.Adam` | TF vs itself after 1 ulp (float64 / float32) |",
            "|---|---|---|---|---|---|",
        ]
        for model, settings in record["models"].items():
            floors = (
                f"{settings['float64/tf']['floor']:.1e} / {settings['float32/tf']['floor']:.1e}"
            )
            lines.append(
                f"| `{model}` | {settings['float32/tf']['steps']} | "
                + " | ".join(
                    cell(settings, s) for s in ("float64/tf", "float32/tf", "float32/torch")
                )
                + f" | {floors} |"
            )
        lines.append("")
    return "\n".join(lines)


def write_docs(folder=FOLDER, doc=DOC):
    records = [json.loads(p.read_text()) for p in sorted(pathlib.Path(folder).glob("*.json"))]
    if not records:
        raise cli.UserError(f"no measurements in {folder}; run python -m report.measure.")
    run_folder.replace_block(doc, BEGIN, END, tables(records))
    print(f"wrote the tables of {len(records)} machine(s) into {doc}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m report.measure",
        description="Measure the cross-check table on this machine (one JSON per CPU and kernel "
        "paths), or with --docs write every measured machine's table into docs/crosscheck.md.",
    )
    parser.add_argument(
        "models",
        nargs="*",
        default=[],
        metavar="MODEL",
        help="models to measure (default: all six)",
    )
    parser.add_argument(
        "--docs",
        action="store_true",
        help="write the tables of every JSON in --folder into docs/crosscheck.md",
    )
    parser.add_argument(
        "--folder",
        default=str(FOLDER),
        help=f"where the per-machine JSON files live (default: {FOLDER})",
    )
    args = parser.parse_args(argv)
    for model in args.models:
        registry.check(model)
    if args.docs:
        return write_docs(args.folder)
    import tf1_reference

    tf1_reference.setup()  # TF1 behaviour before the engine builds graphs (and cpu.label asks TF).

    label = cpu.label()
    record = {
        "label": label,
        "machine": cpu.describe(),
        "command": "python -m report.measure"
        + (f" (under harness.cpu's {' '.join(cpu.switches())})" if cpu.switches() else ""),
        "models": measure(args.models or registry.NAMES),
        "method": METHOD,
    }
    path = pathlib.Path(args.folder) / f"{slug(label)}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    run_folder.atomic_write(path, lambda p: p.write_text(json.dumps(record, indent=1)))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
