"""Refusals: runs that do not belong in one row, each refused with one sentence naming two runs.

The runs of one row must agree in every hyper-parameter and flag but the seed (and what follows
the machine: results/runs.py IGNORED), in the row table's flags when the row is in it, in the
steps they finished with and in the kernel switches their machine.json records. The runs of a
paired row (results/rows.py) must each have started from that row's file for their seed
(hparams.json's `init_weights` names `<row>/init/seed-<S>.npz`), and those of any other row of
the table from their own draws.
"""

import pathlib

from harness import cli
from results import plan as planning
from results import rows as row_table
from results import runs as run_folders


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
    recorded = [r for r in runs if run_folders.switches(r) is not None]
    for other in recorded[1:]:
        if run_folders.switches(other) != run_folders.switches(recorded[0]):
            _refuse(
                row_name,
                recorded[0].folder,
                other.folder,
                [
                    (
                        "kernel switches",
                        " ".join(run_folders.switches(recorded[0])) or "none",
                        " ".join(run_folders.switches(other)) or "none",
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
